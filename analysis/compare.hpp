// Comparisons a paper reports: deltas and speedups against a baseline of the
// same size, a method x size pivot, and the iso-quality speedup.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "analysis/results.hpp"

namespace altup {

// Labels other than variant and seed: what makes two groups "the same size".
std::string size_key(const Group& g);

struct Relative {
    const Group* group;
    const Group* baseline;                  // same size, variant == baseline name
    double delta_accuracy_points;           // (acc - acc_b) * 100
    double delta_loss;                      // loss - loss_b
    double train_speedup;                   // tokens/s over the baseline's (x)
    double train_slowdown_percent;          // (ms/step over the baseline's - 1) * 100
    std::optional<double> inference_speedup;  // eval tokens/s over the baseline's (x)
};
// One row per non-baseline group that has a baseline of the same size.
std::vector<Relative> relative_to_baseline(const std::vector<Group>& groups, const std::string& baseline);

struct Pivot {
    std::string key;                          // e.g. model.preset
    std::vector<std::string> columns;         // its values, presets in ladder order
    std::vector<std::string> rows;            // methods (variants)
    std::vector<std::vector<const Group*>> cells;  // [row][col], null when missing
};
Pivot make_pivot(const std::vector<Group>& groups, const std::string& key);

struct IsoQuality {
    const Group* group;
    std::optional<double> baseline_tokens_per_s;  // interpolated at this group's accuracy
    std::optional<double> speedup;                // group's tokens/s over it
    std::string note;                             // "" or why there is no number
};
// For every non-baseline group: the baseline family's training throughput,
// piecewise-linear in accuracy over the baseline's sizes, read at the group's
// accuracy. No extrapolation: outside the baseline's range it says so.
std::vector<IsoQuality> iso_quality_speedups(const std::vector<Group>& groups, const std::string& baseline);

}  // namespace altup
