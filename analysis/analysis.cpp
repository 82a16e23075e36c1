#include "analysis/analysis.hpp"

#include <algorithm>
#include <set>

#include <fmt/format.h>

#include "analysis/analysis_error.hpp"

#include "analysis/label_order.hpp"

namespace altup {

Analysis analyze(const std::string& runs_dir, const AnalyzeOptions& options) {
    const Metric chosen = on_split(options.metric, options.split);
    if (!metric_info(chosen).quality)
        throw AnalysisError(fmt::format("'{}' is not a quality metric (expected one of {})",
                                        metric_info(options.metric).key, quality_metric_keys()));
    Analysis a;
    a.runs_dir = runs_dir;
    a.loaded = load_results(runs_dir);
    std::vector<TrialResult> current;
    for (const TrialResult& t : a.loaded.trials)
        if (!t.stale || options.include_stale) current.push_back(t);
    a.stale_left_out = a.loaded.trials.size() - current.size();
    a.groups = group_trials(current, options.variant_key, options.baseline);
    a.speed = find_bench_speeds(a.groups);
    apply_bench_speeds(a.groups, a.speed);
    std::vector<std::map<std::string, std::string>> label_sets;
    std::set<std::string> sweeps;
    for (const Group& g : a.groups) {
        label_sets.push_back(g.labels);
        sweeps.insert(g.sweep);
    }
    a.label_keys = label_columns(label_sets, options.variant_key);
    a.several_sweeps = sweeps.size() > 1;
    a.split = options.split;
    a.reference_floors = reference_floors(a.loaded.trials, options.split);
    a.comparisons = compare_to_baseline(a.groups, options.variant_key, options.baseline, options.split);
    apply_bench_ratios(a.comparisons, a.speed);
    a.metric = chosen;
    const MetricInfo& metric = metric_info(chosen);
    const std::optional<Metric> only_with = metric.downstream ? std::optional<Metric>(chosen) : std::nullopt;
    a.size_key = options.pivot_key.empty() ? "model.preset" : options.pivot_key;
    if (options.pivot_key != "none") {
        a.pivot = build_pivot(a.groups, a.size_key, options.variant_key, options.baseline, only_with);
    } else {
        a.size_key = "model.preset";
    }
    // Tasks are not sizes: a pivot over tasks leaves the iso-quality size axis at model.preset.
    if (a.size_key == kTaskLabel) a.size_key = "model.preset";
    a.iso = iso_quality(a.groups, options.variant_key, options.baseline, a.size_key, options.extrapolate,
                        options.family, chosen);
    if (options.fit)
        a.fit = fit_rows(a.groups, options.variant_key, options.baseline, a.size_key, options.family, *options.fit,
                         chosen, options.extrapolate);
    a.has_downstream = std::any_of(a.loaded.trials.begin(), a.loaded.trials.end(),
                                   [](const TrialResult& t) { return t.has_downstream; });
    if (a.has_downstream) {
        a.downstream_metric = metric.downstream ? chosen : Metric::downstream_accuracy;
        const bool same_as_pivot = a.pivot && a.pivot->key == kTaskLabel && a.downstream_metric == chosen;
        if (!same_as_pivot)
            a.downstream_pivot = build_pivot(a.groups, kTaskLabel, options.variant_key, options.baseline,
                                             a.downstream_metric);
    }
    return a;
}

}  // namespace altup
