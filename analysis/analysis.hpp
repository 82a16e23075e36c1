// Everything `altup analyze` computes from a runs directory, before formatting.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "analysis/baseline_comparison.hpp"
#include "analysis/grouping.hpp"
#include "analysis/iso_quality.hpp"
#include "analysis/pivot.hpp"
#include "analysis/result_loader.hpp"

namespace altup {

struct AnalyzeOptions {
    std::string baseline = "baseline";    // the variant others are compared with
    std::string variant_key = "variant";  // the label that names a method
    std::string pivot_key;                // "" = model.preset when present; "none" = no pivot
    bool confidence_intervals = false;    // add 95% t-intervals to aggregate cells
    bool extrapolate = false;             // compute iso-quality speedups outside the baseline's range
    std::string gnuplot = "gnuplot";      // executable, looked up on PATH
};

struct Analysis {
    std::string runs_dir;
    LoadedResults loaded;
    std::vector<Group> groups;
    std::vector<std::string> label_keys;  // label columns of the group tables
    bool several_sweeps = false;
    BaselineComparisons comparisons;
    std::string size_key;  // the pivot's column label, also the iso-quality size axis
    std::optional<PivotTable> pivot;
    std::vector<IsoQualityRow> iso;
};

Analysis analyze(const std::string& runs_dir, const AnalyzeOptions& options);

}  // namespace altup
