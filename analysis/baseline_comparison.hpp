// Each method against the baseline of the same size: the groups whose labels,
// other than the variant (and seed), are equal. Differences are of seed means,
// with Welch's t-test of the seed values.
#pragma once
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "analysis/grouping.hpp"
#include "analysis/statistics.hpp"

namespace altup {

struct BaselineComparison {
    std::size_t group = 0;     // index into the groups
    std::size_t baseline = 0;  // index of its baseline
    std::optional<double> delta_accuracy_points;  // (acc - acc_base) * 100, on the comparisons' split
    std::optional<double> delta_loss;             // loss - loss_base, on the comparisons' split
    std::optional<double> train_speedup;          // tok/s / tok/s_base
    std::optional<double> train_slowdown_percent; // (tok/s_base / tok/s - 1) * 100: extra time per token
    std::optional<double> eval_speedup;
    std::optional<double> eval_slowdown_percent;
    // Welch's two-sided t-test of the seed values against the baseline's
    // (nullopt with fewer than 2 seeds on a side).
    std::optional<WelchTest> accuracy_test;
    std::optional<WelchTest> loss_test;
};

struct BaselineComparisons {
    std::vector<BaselineComparison> rows;
    std::vector<std::size_t> without_baseline;  // non-baseline groups with no baseline of their size
    EvalSplit split = EvalSplit::valid;          // the held-out split losses and accuracies are from
};

BaselineComparisons compare_to_baseline(const std::vector<Group>& groups, const std::string& variant_key,
                                        const std::string& baseline, EvalSplit split);

// ratio r = speed / speed_base as (speedup r, slowdown (1/r - 1) * 100).
struct SpeedRatio {
    std::optional<double> speedup;
    std::optional<double> slowdown_percent;
};
SpeedRatio speed_ratio(const std::optional<double>& speed, const std::optional<double>& baseline_speed);

}  // namespace altup
