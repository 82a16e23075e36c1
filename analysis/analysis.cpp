#include "analysis/analysis.hpp"

#include <set>

#include "analysis/label_order.hpp"

namespace altup {

Analysis analyze(const std::string& runs_dir, const AnalyzeOptions& options) {
    Analysis a;
    a.runs_dir = runs_dir;
    a.loaded = load_results(runs_dir);
    a.groups = group_trials(a.loaded.trials, options.variant_key, options.baseline);
    std::vector<std::map<std::string, std::string>> label_sets;
    std::set<std::string> sweeps;
    for (const Group& g : a.groups) {
        label_sets.push_back(g.labels);
        sweeps.insert(g.sweep);
    }
    a.label_keys = label_columns(label_sets, options.variant_key);
    a.several_sweeps = sweeps.size() > 1;
    a.comparisons = compare_to_baseline(a.groups, options.variant_key, options.baseline);
    a.size_key = options.pivot_key.empty() ? "model.preset" : options.pivot_key;
    if (options.pivot_key != "none") {
        a.pivot = build_pivot(a.groups, a.size_key, options.variant_key, options.baseline);
    } else {
        a.size_key = "model.preset";
    }
    a.iso = iso_quality(a.groups, options.variant_key, options.baseline, a.size_key, options.extrapolate);
    return a;
}

}  // namespace altup
