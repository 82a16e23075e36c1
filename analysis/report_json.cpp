#include "analysis/report_json.hpp"

namespace altup {
namespace {

using nlohmann::json;

json number_or_null(const std::optional<double>& v) { return v ? json(*v) : json(nullptr); }

json summary_json(const Summary& s) {
    return {{"mean", number_or_null(s.mean)}, {"std", number_or_null(s.stddev)}, {"n", s.n},
            {"ci95", number_or_null(s.ci95)}};
}

// Cells under the metric's key ("token_accuracy" by default).
json pivot_json(const Analysis& a, const PivotTable& p, Metric metric) {
    json rows = json::array();
    for (const PivotTable::Row& r : p.rows) {
        json cells = json::array();
        for (const auto& cell : r.cells) cells.push_back(cell ? summary_json(a.groups[*cell].stat(metric)) : json(nullptr));
        rows.push_back({{"sweep", r.sweep}, {"labels", r.labels}, {metric_info(metric).key, cells}});
    }
    return {{"key", p.key}, {"metric", metric_info(metric).key}, {"columns", p.column_values},
            {"companions", p.companions}, {"rows", rows}};
}

}  // namespace

json analysis_to_json(const Analysis& a, const AnalyzeOptions& o) {
    json out;
    out["runs_dir"] = a.runs_dir;
    out["baseline"] = o.baseline;
    out["variant_key"] = o.variant_key;
    json groups = json::array();
    for (const Group& g : a.groups) {
        json metrics;
        for (const MetricInfo& info : all_metrics())
            if (!info.downstream || a.has_downstream) metrics[info.key] = summary_json(g.stat(info.metric));
        json trials = json::array();
        for (const TrialResult& t : g.trials)
            trials.push_back({{"trial_id", t.trial_id}, {"path", t.path},
                              {"seed", t.labels.count("seed") ? json(t.labels.at("seed")) : json(nullptr)}});
        groups.push_back({{"sweep", g.sweep}, {"labels", g.labels}, {"standalone", g.standalone},
                          {"method", method_of(g, o.variant_key)}, {"n", g.trials.size()},
                          {"metrics", metrics}, {"trials", trials}});
    }
    out["groups"] = groups;
    out["split"] = split_name(a.split);  // the held-out split of every quality number and comparison
    out["reference_floors"] = reference_floors_json(a.reference_floors);
    json relative = json::array();
    for (const BaselineComparison& c : a.comparisons.rows)
        relative.push_back({{"group", c.group}, {"baseline_group", c.baseline},
                            {"delta_accuracy_points", number_or_null(c.delta_accuracy_points)},
                            {"delta_eval_loss", number_or_null(c.delta_loss)},
                            {"train_speedup", number_or_null(c.train_speedup)},
                            {"train_slowdown_percent", number_or_null(c.train_slowdown_percent)},
                            {"eval_speedup", number_or_null(c.eval_speedup)},
                            {"eval_slowdown_percent", number_or_null(c.eval_slowdown_percent)}});
    out["relative"] = relative;
    out["without_baseline"] = a.comparisons.without_baseline;
    out["pivot"] = a.pivot ? pivot_json(a, *a.pivot, a.metric) : json(nullptr);
    if (a.has_downstream)
        out["downstream"] = a.downstream_pivot ? pivot_json(a, *a.downstream_pivot, a.downstream_metric) : json(nullptr);
    json iso = json::array();
    for (const IsoQualityRow& r : a.iso)
        iso.push_back({{"group", r.group}, {"baseline_family", r.baseline_family}, {metric_info(a.metric).key, r.accuracy},
                       {"train_tokens_per_s", r.speed}, {"status", iso_status_name(r.baseline.status)},
                       {"baseline_tokens_per_s", number_or_null(r.baseline.speed)},
                       {"baseline_accuracy_range", {r.baseline.range_min, r.baseline.range_max}},
                       {"speedup", number_or_null(r.speedup)}, {"speedup_percent", number_or_null(r.speedup_percent)},
                       {"dominated_family", r.dominated_family},
                       {"bound", r.bound == IsoQualityRow::Bound::upper   ? json("upper")
                                 : r.bound == IsoQualityRow::Bound::lower ? json("lower")
                                                                          : json(nullptr)},
                       {"bound_by", r.bound_by ? json(*r.bound_by) : json(nullptr)},
                       {"speedup_bound", number_or_null(r.speedup_bound)}});
    out["iso_quality"] = {{"size_key", a.size_key}, {"metric", metric_info(a.metric).key}, {"rows", iso}};
    json skipped = json::array();
    for (const SkippedResult& s : a.loaded.skipped) skipped.push_back({{"path", s.path}, {"reason", s.reason}});
    out["skipped"] = skipped;
    return out;
}

}  // namespace altup
