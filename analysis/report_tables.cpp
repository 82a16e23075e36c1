#include "analysis/report_tables.hpp"

#include <algorithm>
#include <map>

#include <fmt/format.h>

namespace altup {
namespace {

// The label columns naming a group (with its sweep when several are mixed).
std::vector<Column> label_header(const Analysis& a) {
    std::vector<Column> columns;
    if (a.several_sweeps) columns.push_back({"sweep", "sweep", false});
    for (const std::string& key : a.label_keys) columns.push_back({key, key, false});
    return columns;
}

std::vector<Cell> label_cells(const Analysis& a, const Group& g) {
    std::vector<Cell> cells;
    if (a.several_sweeps) cells.push_back(Cell::of_text(g.sweep));
    for (const std::string& key : a.label_keys) cells.push_back(Cell::of_text(g.label(key)));
    return cells;
}

std::string group_name(const Analysis& a, const Group& g) {
    std::vector<std::string> parts;
    if (a.several_sweeps) parts.push_back(g.sweep);
    for (const std::string& key : a.label_keys)
        if (g.labels.count(key)) parts.push_back(key + "=" + g.label(key));
    return fmt::format("{}", fmt::join(parts, " "));
}

Cell metric_cell(const Group& g, Metric m) {
    const MetricInfo& info = metric_info(m);
    return Cell::of_stat(g.stat(m), info.display_scale, info.precision);
}

bool is_parameter_count(Metric m) {
    return m == Metric::params_total || m == Metric::params_embedding || m == Metric::params_non_embedding ||
           m == Metric::altup_scalars;
}

bool has_baseline(const Analysis& a, const AnalyzeOptions& o) {
    return std::any_of(a.groups.begin(), a.groups.end(),
                       [&](const Group& g) { return method_of(g, o.variant_key) == o.baseline; });
}

}  // namespace

Table groups_table(const Analysis& a, const AnalyzeOptions&) {
    Table t;
    t.id = "groups";
    t.title = "Results per group (mean ± sample std over seeds)";
    t.columns = label_header(a);
    t.columns.push_back({"seeds", "n", true});
    for (const MetricInfo& info : all_metrics()) {
        std::string key = info.key;
        if (info.metric == Metric::token_accuracy) key = "token_accuracy_pct";
        t.columns.push_back({key, info.header, true});
    }
    bool counts_vary = false;
    for (const Group& g : a.groups) {
        std::vector<Cell> row = label_cells(a, g);
        row.push_back(Cell::of_number(static_cast<double>(g.trials.size()), 0));
        for (const MetricInfo& info : all_metrics()) {
            // Parameter counts do not depend on the seed: one number, unless they differ.
            const Summary& s = g.stat(info.metric);
            if (is_parameter_count(info.metric) && (!s.stddev || *s.stddev == 0)) {
                row.push_back(Cell::of_number(s.mean, 0));
            } else {
                counts_vary = counts_vary || is_parameter_count(info.metric);
                row.push_back(metric_cell(g, info.metric));
            }
        }
        t.rows.push_back(std::move(row));
    }
    if (counts_vary) t.notes.push_back("parameter counts differ between seeds of a group: shown as mean ± std");
    return t;
}

Table baseline_table(const Analysis& a, const AnalyzeOptions& o) {
    Table t;
    t.id = "baseline";
    t.title = fmt::format("Against the baseline of the same size ({}={})", o.variant_key, o.baseline);
    t.columns = label_header(a);
    t.columns.insert(t.columns.end(), {{"delta_accuracy_points", "Δ accuracy (points)", true},
                                       {"delta_eval_loss", "Δ eval loss", true},
                                       {"train_speedup", "train speedup (×)", true},
                                       {"train_slowdown_pct", "train slowdown (%)", true},
                                       {"eval_speedup", "inference speedup (×)", true},
                                       {"eval_slowdown_pct", "inference slowdown (%)", true}});
    for (const BaselineComparison& c : a.comparisons.rows) {
        std::vector<Cell> row = label_cells(a, a.groups[c.group]);
        row.push_back(Cell::of_number(c.delta_accuracy_points, 2));
        row.push_back(Cell::of_number(c.delta_loss, 3));
        row.push_back(Cell::of_number(c.train_speedup, 3));
        row.push_back(Cell::of_number(c.train_slowdown_percent, 1));
        row.push_back(Cell::of_number(c.eval_speedup, 3));
        row.push_back(Cell::of_number(c.eval_slowdown_percent, 1));
        t.rows.push_back(std::move(row));
    }
    if (!has_baseline(a, o)) {
        t.notes.push_back(fmt::format("no group has {}={}: choose the baseline with --baseline VARIANT",
                                      o.variant_key, o.baseline));
    } else {
        for (std::size_t i : a.comparisons.without_baseline)
            t.notes.push_back(fmt::format("no baseline of the same size for {}", group_name(a, a.groups[i])));
    }
    t.notes.push_back("speedup = tok/s ÷ baseline tok/s; slowdown = baseline tok/s ÷ tok/s − 1, the extra time per token");
    return t;
}

Table pivot_table(const Analysis& a, const AnalyzeOptions&) {
    const PivotTable& p = *a.pivot;
    Table t;
    t.id = "pivot";
    t.title = fmt::format("Token accuracy (%) by {} (mean ± std over seeds)", p.key);
    if (a.several_sweeps) t.columns.push_back({"sweep", "sweep", false});
    for (const std::string& key : p.row_keys) t.columns.push_back({key, key, false});
    for (const std::string& v : p.column_values) t.columns.push_back({p.key + "=" + v, v, true});
    for (const PivotTable::Row& r : p.rows) {
        std::vector<Cell> row;
        if (a.several_sweeps) row.push_back(Cell::of_text(r.sweep));
        for (const std::string& key : p.row_keys) {
            auto it = r.labels.find(key);
            row.push_back(Cell::of_text(it == r.labels.end() ? "" : it->second));
        }
        for (const auto& cell : r.cells)
            row.push_back(cell ? metric_cell(a.groups[*cell], Metric::token_accuracy) : Cell::empty_cell());
        t.rows.push_back(std::move(row));
    }
    for (const std::string& c : p.companions) t.notes.push_back(fmt::format("{} follows {} (one value per column)", c, p.key));
    return t;
}

Table iso_quality_table(const Analysis& a, const AnalyzeOptions& o) {
    Table t;
    t.id = "iso_quality";
    t.title = fmt::format("Iso-quality training speedup against the {} family over {}", o.baseline, a.size_key);
    t.columns = label_header(a);
    t.columns.insert(t.columns.end(), {{"token_accuracy_pct", "accuracy (%)", true},
                                       {"train_tokens_per_s", "train tok/s", true},
                                       {"baseline_tokens_per_s", "baseline tok/s at same accuracy", true},
                                       {"iso_speedup", "iso-quality speedup (×)", true},
                                       {"iso_speedup_pct", "speedup (%)", true},
                                       {"status", "note", false}});
    std::map<std::string, const IsoQualityRow*> best;  // per method, among interpolated rows
    for (const IsoQualityRow& r : a.iso) {
        const Group& g = a.groups[r.group];
        std::vector<Cell> row = label_cells(a, g);
        row.push_back(Cell::of_number(r.accuracy * 100.0, 2));
        row.push_back(Cell::of_number(r.speed, 0));
        const bool extrapolated = r.baseline.status == IsoStatus::extrapolated;
        const std::string mark = extrapolated ? "†" : "";
        row.push_back(Cell::of_number(r.baseline.speed, 0, mark));
        row.push_back(Cell::of_number(r.speedup, 3, mark));
        row.push_back(Cell::of_number(r.speedup_percent, 1, mark));
        std::string note;
        const std::string range = fmt::format("baseline accuracy {:.2f}–{:.2f}%", r.baseline.range_min * 100, r.baseline.range_max * 100);
        switch (r.baseline.status) {
            case IsoStatus::interpolated: note = "interpolated"; break;
            case IsoStatus::below_range: note = "below the baseline's range (" + range + "): not extrapolated"; break;
            case IsoStatus::above_range: note = "above the baseline's range (" + range + "): not extrapolated"; break;
            case IsoStatus::extrapolated: note = "† extrapolated outside " + range; break;
            case IsoStatus::no_baseline: note = "no baseline with accuracy and speed"; break;
        }
        row.push_back(Cell::of_text(note));
        t.rows.push_back(std::move(row));
        if (r.baseline.status == IsoStatus::interpolated && r.speedup) {
            const std::string method = method_of(g, o.variant_key);
            if (!best.count(method) || *r.speedup > *best[method]->speedup) best[method] = &r;
        }
    }
    for (const auto& [method, r] : best)
        t.notes.push_back(fmt::format("{}: up to {:+.1f}% iso-quality training speed ({:.3f}×, at {})", method,
                                      *r->speedup_percent, *r->speedup, group_name(a, a.groups[r->group])));
    t.notes.push_back(
        "baseline tok/s at same accuracy: piecewise-linear in accuracy through the baseline sizes sorted by accuracy");
    return t;
}

Table skipped_table(const Analysis& a) {
    Table t;
    t.id = "skipped";
    t.title = "Skipped result files";
    t.columns = {{"path", "file", false}, {"reason", "reason", false}};
    for (const SkippedResult& s : a.loaded.skipped) t.rows.push_back({Cell::of_text(s.path), Cell::of_text(s.reason)});
    return t;
}

std::vector<Table> report_tables(const Analysis& a, const AnalyzeOptions& o, bool with_skipped) {
    std::vector<Table> tables{groups_table(a, o)};
    const bool methods = !a.comparisons.rows.empty() || !a.comparisons.without_baseline.empty();
    if (methods) tables.push_back(baseline_table(a, o));
    if (a.pivot) tables.push_back(pivot_table(a, o));
    if (!a.iso.empty()) tables.push_back(iso_quality_table(a, o));
    if (with_skipped && !a.loaded.skipped.empty()) tables.push_back(skipped_table(a));
    return tables;
}

std::string skipped_report(const LoadedResults& loaded) {
    std::string out;
    for (const SkippedResult& s : loaded.skipped) out += fmt::format("skipped {}: {}\n", s.path, s.reason);
    return out;
}

std::string render_summary_table(const std::string& runs_dir, const AnalyzeOptions& o) {
    const Analysis a = analyze(runs_dir, o);
    Table t;
    t.id = "summary";
    t.title = fmt::format("Summary of {}", runs_dir);
    t.columns = label_header(a);
    t.columns.insert(t.columns.end(), {{"seeds", "n", true},
                                       {"eval_loss", "eval loss", true},
                                       {"token_accuracy_pct", "accuracy (%)", true},
                                       {"train_tokens_per_s", "train tok/s", true},
                                       {"delta_accuracy_points", "Δ acc (points)", true},
                                       {"train_speedup", "train speedup (×)", true}});
    std::map<std::size_t, const BaselineComparison*> by_group;
    for (const BaselineComparison& c : a.comparisons.rows) by_group[c.group] = &c;
    for (std::size_t i = 0; i < a.groups.size(); ++i) {
        const Group& g = a.groups[i];
        std::vector<Cell> row = label_cells(a, g);
        row.push_back(Cell::of_number(static_cast<double>(g.trials.size()), 0));
        row.push_back(metric_cell(g, Metric::eval_loss));
        row.push_back(metric_cell(g, Metric::token_accuracy));
        row.push_back(metric_cell(g, Metric::train_tokens_per_s));
        auto it = by_group.find(i);
        row.push_back(Cell::of_number(it == by_group.end() ? std::nullopt : it->second->delta_accuracy_points, 2));
        row.push_back(Cell::of_number(it == by_group.end() ? std::nullopt : it->second->train_speedup, 3));
        t.rows.push_back(std::move(row));
    }
    if (!a.loaded.skipped.empty())
        t.notes.push_back(fmt::format("{} result file(s) skipped ({} still running); `altup analyze {}` lists them",
                                      a.loaded.skipped.size(), a.loaded.running, runs_dir));
    return render_markdown({t}, {o.confidence_intervals});
}

}  // namespace altup
