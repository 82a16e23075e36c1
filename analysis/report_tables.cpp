#include "analysis/report_tables.hpp"

#include <algorithm>
#include <cctype>
#include <map>
#include <set>

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

bool any_value(const Analysis& a, Metric m) {
    return std::any_of(a.groups.begin(), a.groups.end(), [&](const Group& g) { return g.stat(m).n > 0; });
}

// The groups table's metrics: the pretraining ones in table order, with the
// downstream ones after the held-out quality when some result has a downstream
// section (the per-word baseline only when some group has it: pos). Columns
// older result files never have (FLOPs, the test evaluation) only when some
// group has them.
std::vector<Metric> group_metrics(const Analysis& a) {
    const bool has_test = any_value(a, Metric::test_loss);
    const Metric last_quality = has_test ? Metric::test_accuracy : Metric::token_accuracy;
    std::vector<Metric> out;
    for (const MetricInfo& info : all_metrics()) {
        if (info.downstream) continue;
        const bool optional = info.metric == Metric::flops_per_step || info.metric == Metric::test_loss ||
                              info.metric == Metric::test_perplexity || info.metric == Metric::test_accuracy;
        if (optional && !any_value(a, info.metric)) continue;
        out.push_back(info.metric);
        if (info.metric != last_quality || !a.has_downstream) continue;
        for (const MetricInfo& d : all_metrics())
            if (d.downstream && (d.metric != Metric::downstream_word_majority_accuracy || any_value(a, d.metric)))
                out.push_back(d.metric);
    }
    return out;
}

// "accuracy 31.00–50.00%" style range of a quality metric, in display units.
std::string quality_range(Metric m, double lo, double hi) {
    const MetricInfo& info = metric_info(m);
    const bool percent = info.display_scale == 100.0;
    const int precision = percent ? 2 : info.precision;
    return fmt::format("{} {:.{}f}–{:.{}f}{}", info.name, lo * info.display_scale, precision,
                       hi * info.display_scale, precision, percent ? "%" : "");
}

// p-values to 3 significant digits; very small ones as "< 0.001".
Cell p_value_cell(const std::optional<WelchTest>& test) {
    if (!test) return Cell::empty_cell();
    if (test->p < 0.001) return Cell::of_text("< 0.001");
    return Cell::of_number(test->p, test->p < 0.01 ? 4 : 3);
}

bool has_baseline(const Analysis& a, const AnalyzeOptions& o) {
    return std::any_of(a.groups.begin(), a.groups.end(),
                       [&](const Group& g) { return method_of(g, o.variant_key) == o.baseline; });
}

// What a "mean ± std [lo, hi]" cell shows, for table titles.
std::string spread_words(const AnalyzeOptions& o, const char* std_name) {
    return o.confidence_intervals ? fmt::format("mean ± {} [95% t-interval] over n seeds", std_name)
                                  : fmt::format("mean ± {} over seeds", std_name);
}

}  // namespace

Table groups_table(const Analysis& a, const AnalyzeOptions& o) {
    Table t;
    t.id = "groups";
    t.title = fmt::format("Results per group ({})", spread_words(o, "sample std"));
    t.columns = label_header(a);
    t.columns.push_back({"seeds", "n", true});
    const std::vector<Metric> metrics = group_metrics(a);
    for (Metric m : metrics) t.columns.push_back({table_key(m), metric_info(m).header, true});
    bool counts_vary = false;
    for (const Group& g : a.groups) {
        std::vector<Cell> row = label_cells(a, g);
        row.push_back(Cell::of_number(static_cast<double>(g.trials.size()), 0));
        for (Metric m : metrics) {
            const MetricInfo& info = metric_info(m);
            // Parameter counts do not depend on the seed: one number, unless they differ.
            const Summary& s = g.stat(info.metric);
            if (is_parameter_count(info.metric) && (!s.stddev || *s.stddev == 0)) {
                row.push_back(Cell::of_number(s.mean, 0));
            } else {
                counts_vary = counts_vary || is_parameter_count(info.metric);
                row.push_back(metric_cell(g, info.metric));
                row.back().text = speed_marker(a.speed, g, info.metric);
            }
        }
        t.rows.push_back(std::move(row));
    }
    if (counts_vary) t.notes.push_back("parameter counts differ between seeds of a group: shown as mean ± std");
    if (a.stale_left_out > 0)
        t.notes.push_back(fmt::format("{} stale trial(s) left out: their sweep file, as last run, no longer expands to "
                                      "them (--include-stale shows them as groups of their own)",
                                      a.stale_left_out));
    for (const std::string& note : speed_source_notes(a.speed)) t.notes.push_back(note);
    if (a.has_downstream)
        t.notes.push_back("downstream columns: the fine-tune validation split (test: its test split); eval loss, "
                          "accuracy and speed of a fine-tune group are its pretrained model's; — for pretraining groups");
    return t;
}

Table baseline_table(const Analysis& a, const AnalyzeOptions& o) {
    Table t;
    t.id = "baseline";
    t.title = fmt::format("Against the baseline of the same size ({}={})", o.variant_key, o.baseline);
    t.columns = label_header(a);
    const bool test = a.comparisons.split == EvalSplit::test;  // keys and headers say which split
    t.columns.insert(t.columns.end(), {{test ? "delta_test_accuracy_points" : "delta_accuracy_points",
                                        test ? "Δ test accuracy (points)" : "Δ accuracy (points)", true},
                                       {test ? "delta_test_loss" : "delta_eval_loss", test ? "Δ test loss" : "Δ eval loss", true},
                                       {"train_speedup", "train speedup (×)", true},
                                       {"train_slowdown_pct", "train slowdown (%)", true},
                                       {"eval_speedup", "inference speedup (×)", true},
                                       {"eval_slowdown_pct", "inference slowdown (%)", true}});
    if (a.has_downstream)
        t.columns.insert(t.columns.end(), {{"delta_downstream_accuracy_points", "Δ downstream acc (points)", true},
                                           {"delta_downstream_macro_f1_points", "Δ downstream macro-F1 (points)", true}});
    t.columns.insert(t.columns.end(), {{"seeds", "n", false},
                                       {test ? "p_test_accuracy" : "p_accuracy", test ? "p (Δ test accuracy)" : "p (Δ accuracy)", true},
                                       {test ? "p_test_loss" : "p_eval_loss", test ? "p (Δ test loss)" : "p (Δ eval loss)", true}});
    auto delta_points = [&](const BaselineComparison& c, Metric m) -> std::optional<double> {
        const auto& x = a.groups[c.group].stat(m).mean;
        const auto& y = a.groups[c.baseline].stat(m).mean;
        if (!x || !y) return std::nullopt;
        return (*x - *y) * 100.0;
    };
    for (const BaselineComparison& c : a.comparisons.rows) {
        std::vector<Cell> row = label_cells(a, a.groups[c.group]);
        row.push_back(Cell::of_number(c.delta_accuracy_points, 2));
        row.push_back(Cell::of_number(c.delta_loss, 3));
        row.push_back(Cell::of_number(c.train_speedup, 3, comparison_speed_marker(a.speed, c)));
        row.push_back(Cell::of_number(c.train_slowdown_percent, 1, comparison_speed_marker(a.speed, c)));
        row.push_back(Cell::of_number(c.eval_speedup, 3, eval_speed_marker(a.speed, c)));
        row.push_back(Cell::of_number(c.eval_slowdown_percent, 1, eval_speed_marker(a.speed, c)));
        if (a.has_downstream) {
            row.push_back(Cell::of_number(delta_points(c, Metric::downstream_accuracy), 2));
            row.push_back(Cell::of_number(delta_points(c, Metric::downstream_macro_f1), 2));
        }
        row.push_back(Cell::of_text(fmt::format("{} vs {}", a.groups[c.group].trials.size(),
                                                a.groups[c.baseline].trials.size())));
        row.push_back(p_value_cell(c.accuracy_test));
        row.push_back(p_value_cell(c.loss_test));
        t.rows.push_back(std::move(row));
    }
    t.why_empty = fmt::format("no group has a baseline ({}={}) of its size", o.variant_key, o.baseline);
    if (!has_baseline(a, o)) {
        t.notes.push_back(fmt::format("no group has {}={}: choose the baseline with --baseline VARIANT",
                                      o.variant_key, o.baseline));
    } else {
        for (std::size_t i : a.comparisons.without_baseline)
            t.notes.push_back(fmt::format("no baseline of the same size for {}", group_name(a, a.groups[i])));
    }
    t.notes.push_back("n: seeds of the method vs of its baseline; p: Welch's two-sided t-test of the seed values "
                      "against the baseline's (no p with fewer than 2 seeds a side; with 3 seeds a side only large "
                      "effects reach p < 0.05)");
    t.notes.push_back("speedup = tok/s ÷ baseline tok/s; slowdown = baseline tok/s ÷ tok/s − 1, the extra time per token");
    for (const std::string& note : speed_source_notes(a.speed, &a.comparisons)) t.notes.push_back(note);
    return t;
}

namespace {

Table pivot_of(const Analysis& a, const AnalyzeOptions& o, const PivotTable& p, Metric metric, const std::string& id) {
    Table t;
    t.id = id;
    std::string what = metric == Metric::token_accuracy ? std::string("Token accuracy (%)")
                       : metric == Metric::test_accuracy ? std::string("Test token accuracy (%)")
                                                         : metric_info(metric).header;
    what[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(what[0])));
    t.title = fmt::format("{} by {} ({})", what, p.key, spread_words(o, "std"));
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
            row.push_back(cell ? metric_cell(a.groups[*cell], metric) : Cell::empty_cell());
        t.rows.push_back(std::move(row));
    }
    for (const std::string& c : p.companions) t.notes.push_back(fmt::format("{} follows {} (one value per column)", c, p.key));
    if (metric_info(metric).downstream) t.notes.push_back("fine-tune groups only (pretraining groups have no downstream numbers)");
    return t;
}

}  // namespace

Table pivot_table(const Analysis& a, const AnalyzeOptions& o) { return pivot_of(a, o, *a.pivot, a.metric, "pivot"); }

Table downstream_table(const Analysis& a, const AnalyzeOptions& o) {
    return pivot_of(a, o, *a.downstream_pivot, a.downstream_metric, "downstream");
}

Table iso_quality_table(const Analysis& a, const AnalyzeOptions& o) {
    Table t;
    t.id = "iso_quality";
    const MetricInfo& quality = metric_info(a.metric);
    const bool default_metric = a.metric == on_split(Metric::token_accuracy, a.split);
    t.title = fmt::format("Iso-quality training speedup against the reference family: {}", family_description(o.family));
    if (!default_metric) t.title += fmt::format(", at equal {}", quality.name);
    t.columns = label_header(a);
    t.columns.insert(t.columns.end(), {{table_key(a.metric), quality.header, true},
                                       {"train_tokens_per_s", "train tok/s", true},
                                       {"baseline_tokens_per_s",
                                        default_metric ? std::string("family tok/s at same accuracy")
                                                       : fmt::format("family tok/s at same {}", quality.name),
                                        true},
                                       {"iso_speedup", "iso-quality speedup (×)", true},
                                       {"iso_speedup_pct", "speedup (%)", true},
                                       {"status", "note", false}});
    std::map<std::string, const IsoQualityRow*> best;  // per method, among interpolated rows
    std::set<std::size_t> dominated;                    // baseline groups left off their family's front
    std::map<std::string, const IsoQualityRow*> lower;  // per method, the largest lower bound
    for (const IsoQualityRow& r : a.iso) {
        // Against a family of one size there is no range to read a speed from: such a
        // row says something only with a bound (a one-size sweep's rows have none).
        if (!r.speedup && r.bound == IsoQualityRow::Bound::none && r.baseline_family.size() < 2) continue;
        const Group& g = a.groups[r.group];
        std::vector<Cell> row = label_cells(a, g);
        row.push_back(Cell::of_number(r.accuracy * quality.display_scale,
                                      quality.display_scale == 100.0 ? 2 : quality.precision));
        row.push_back(Cell::of_number(r.speed, 0, speed_marker(a.speed, g, Metric::train_tokens_per_s)));
        const bool extrapolated = r.baseline.status == IsoStatus::extrapolated;
        const std::string mark = extrapolated ? "†" : "";
        row.push_back(Cell::of_number(r.baseline.speed, 0, mark));
        row.push_back(Cell::of_number(r.speedup, 3, mark));
        row.push_back(Cell::of_number(r.speedup_percent, 1, mark));
        std::string note;
        const std::string range = "family " + quality_range(a.metric, r.baseline.range_min, r.baseline.range_max);
        switch (r.baseline.status) {
            case IsoStatus::interpolated: note = "interpolated"; break;
            case IsoStatus::below_range: note = "below the family's range (" + range + "): not extrapolated"; break;
            case IsoStatus::above_range: note = "above the family's range (" + range + "): not extrapolated"; break;
            case IsoStatus::extrapolated: note = "† extrapolated outside " + range; break;
            case IsoStatus::no_baseline: note = fmt::format("no baseline with {} and speed", quality.name); break;
        }
        // The bounding baseline by its size label, or all its labels when it has none.
        auto bound_name = [&]() {
            const Group& d = a.groups[*r.bound_by];
            return d.labels.count(a.size_key) ? a.size_key + "=" + d.label(a.size_key) : group_name(a, d);
        };
        if (r.bound == IsoQualityRow::Bound::upper) {
            note += fmt::format("; the baseline at {} is better and {:.1f}× faster: iso-quality speedup < {:.3f}×",
                                bound_name(), 1.0 / *r.speedup_bound, *r.speedup_bound);
        } else if (r.bound == IsoQualityRow::Bound::lower) {
            note += fmt::format("; better than the family's best ({}), at {:.3f}× its speed: iso-quality "
                                "speedup > {:.3f}× (lower bound, see below)",
                                bound_name(), *r.speedup_bound, *r.speedup_bound);
            if (!lower.count(method_of(g, o.variant_key)) || *r.speedup_bound > *lower[method_of(g, o.variant_key)]->speedup_bound)
                lower[method_of(g, o.variant_key)] = &r;
        }
        for (std::size_t d : r.dominated_family) dominated.insert(d);
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
    for (const auto& [method, r] : lower)
        t.notes.push_back(fmt::format("{}: at least {:+.1f}% iso-quality training speed ({:.3f}×, at {}: better than "
                                      "every family member, so a member as good would be no faster than the best one "
                                      "measured, if the family's speed keeps falling as its accuracy rises)",
                                      method, (*r->speedup_bound - 1.0) * 100.0, *r->speedup_bound,
                                      group_name(a, a.groups[r->group])));
    if (default_metric) {
        t.notes.push_back("family tok/s at same accuracy: piecewise-linear in accuracy through the family members on "
                          "the family's speed-accuracy Pareto front, sorted by accuracy");
    } else {
        t.notes.push_back(fmt::format("family tok/s at same {0}: piecewise-linear in {0} through the family members "
                                      "on the family's speed-{0} Pareto front, sorted by {0} (pretraining train tok/s{1})",
                                      quality.name, quality.downstream ? "; each downstream task on its own" : ""));
    }
    std::set<std::size_t> members;
    for (const IsoQualityRow& r : a.iso) {
        members.insert(r.baseline_family.begin(), r.baseline_family.end());
        members.insert(r.dominated_family.begin(), r.dominated_family.end());
    }
    if (!members.empty()) {
        std::vector<std::string> names;
        for (std::size_t m : members) names.push_back(group_name(a, a.groups[m]));
        t.notes.push_back(fmt::format("reference family members ({}): {}", members.size(), fmt::join(names, "; ")));
    }
    for (const std::string& note : speed_source_notes(a.speed)) t.notes.push_back(note);
    t.why_empty = has_baseline(a, o)
                      ? fmt::format("each reference family has a single {0}: no range of {1} to read a speed from "
                                    "(iso-quality needs the family at two {0} values or more)",
                                    a.size_key, quality.name)
                      : fmt::format("no group has {}={}", o.variant_key, o.baseline);
    if (!dominated.empty()) {
        std::vector<std::string> names;
        for (std::size_t d : dominated) names.push_back(group_name(a, a.groups[d]));
        t.notes.push_back(fmt::format("left out of the reference family's front, another member being both better and faster: {}",
                                      fmt::join(names, "; ")));
    }
    return t;
}

Table fit_table(const Analysis& a, const AnalyzeOptions& o) {
    Table t;
    t.id = "fit";
    const MetricInfo& quality = metric_info(a.metric);
    const bool flops = o.fit == FitCost::flops;
    t.title = fmt::format("Compute multiplier at equal {}: power-law fit of {} against {} per token over the reference "
                          "family ({})",
                          quality.name, higher_is_better(a.metric) ? "1 − " + std::string(quality.name) : quality.name,
                          flops ? "training FLOPs" : "training time", family_description(o.family));
    t.columns = label_header(a);
    const std::string unit = flops ? "FLOP/token" : "µs/token";
    const double scale = flops ? 1.0 : 1e6;
    t.columns.insert(t.columns.end(), {{table_key(a.metric), quality.header, true},
                                       {"cost_per_token", unit, true},
                                       {"family_cost_per_token", "family " + unit + " at same " + quality.name, true},
                                       {"compute_multiplier", "compute multiplier (×)", true},
                                       {"ci95_lo", "95% CI low", true},
                                       {"ci95_hi", "95% CI high", true},
                                       {"fit_members", "members", true},
                                       {"status", "note", false}});
    for (const FitRow& r : a.fit) {
        std::vector<Cell> row = label_cells(a, a.groups[r.group]);
        const std::string mark = r.status == FitRow::Status::extrapolated ? "†" : "";
        row.push_back(Cell::of_number(r.quality * quality.display_scale, quality.display_scale == 100.0 ? 2 : quality.precision));
        row.push_back(Cell::of_number(r.cost * scale, flops ? 0 : 2));
        row.push_back(Cell::of_number(r.family_cost ? std::optional<double>(*r.family_cost * scale) : std::nullopt, flops ? 0 : 2, mark));
        row.push_back(Cell::of_number(r.multiplier, 3, mark));
        row.push_back(Cell::of_number(r.interval ? std::optional<double>(r.interval->lo) : std::nullopt, 3));
        row.push_back(Cell::of_number(r.interval ? std::optional<double>(r.interval->hi) : std::nullopt, 3));
        row.push_back(Cell::of_number(static_cast<double>(r.family.size()), 0));
        const std::string range = "family " + quality_range(a.metric, r.range_min, r.range_max);
        std::string note;
        switch (r.status) {
            case FitRow::Status::fitted: note = "inside " + range; break;
            case FitRow::Status::outside_range: note = "outside " + range + ": not extrapolated"; break;
            case FitRow::Status::extrapolated: note = "† extrapolated outside " + range; break;
            case FitRow::Status::no_fit: note = r.why_no_fit.empty() ? "no fit: no family member" : r.why_no_fit; break;
        }
        if (r.law) note += fmt::format("; exponent {:.3f}", r.law->exponent);
        if (r.multiplier && !r.interval) note += "; no interval (fewer than half the bootstrap draws stay in range)";
        row.push_back(Cell::of_text(note));
        t.rows.push_back(std::move(row));
    }
    t.notes.push_back(fmt::format("compute multiplier = the family's {} per token at the method's {} (from the fit) ÷ the "
                                  "method's own; > 1: the method reaches that {} more cheaply",
                                  flops ? "training FLOPs" : "training time", quality.name, quality.name));
    t.notes.push_back("95% CI: percentile bootstrap over seeds (2000 draws, every group's seeds resampled, the fit redone; "
                      "fixed seed, so the interval repeats)");
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
    if (!a.reference_floors.empty()) tables.push_back(reference_floors_table(a.reference_floors));
    const bool methods = !a.comparisons.rows.empty() || !a.comparisons.without_baseline.empty();
    if (methods) tables.push_back(baseline_table(a, o));
    if (a.pivot) tables.push_back(pivot_table(a, o));
    if (a.downstream_pivot) tables.push_back(downstream_table(a, o));
    if (!a.iso.empty()) tables.push_back(iso_quality_table(a, o));
    if (!a.fit.empty()) tables.push_back(fit_table(a, o));
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
    const Metric loss = on_split(Metric::eval_loss, a.split), accuracy = on_split(Metric::token_accuracy, a.split);
    t.columns.insert(t.columns.end(), {{"seeds", "n", true},
                                       {table_key(loss), metric_info(loss).header, true},
                                       {table_key(accuracy), metric_info(accuracy).header, true},
                                       {"train_tokens_per_s", "train tok/s", true},
                                       {"delta_accuracy_points", "Δ acc (points)", true},
                                       {"train_speedup", "train speedup (×)", true}});
    if (a.has_downstream)
        t.columns.insert(t.columns.begin() + static_cast<std::ptrdiff_t>(t.columns.size() - 3),
                         {table_key(Metric::downstream_accuracy), metric_info(Metric::downstream_accuracy).header, true});
    std::map<std::size_t, const BaselineComparison*> by_group;
    for (const BaselineComparison& c : a.comparisons.rows) by_group[c.group] = &c;
    for (std::size_t i = 0; i < a.groups.size(); ++i) {
        const Group& g = a.groups[i];
        std::vector<Cell> row = label_cells(a, g);
        row.push_back(Cell::of_number(static_cast<double>(g.trials.size()), 0));
        row.push_back(metric_cell(g, loss));
        row.push_back(metric_cell(g, accuracy));
        if (a.has_downstream) row.push_back(metric_cell(g, Metric::downstream_accuracy));
        row.push_back(metric_cell(g, Metric::train_tokens_per_s));
        row.back().text = speed_marker(a.speed, g, Metric::train_tokens_per_s);
        auto it = by_group.find(i);
        row.push_back(Cell::of_number(it == by_group.end() ? std::nullopt : it->second->delta_accuracy_points, 2));
        row.push_back(Cell::of_number(it == by_group.end() ? std::nullopt : it->second->train_speedup, 3,
                                      it == by_group.end() ? "" : comparison_speed_marker(a.speed, *it->second)));
        t.rows.push_back(std::move(row));
    }
    for (const std::string& note : speed_source_notes(a.speed, &a.comparisons)) t.notes.push_back(note);
    if (!a.loaded.skipped.empty())
        t.notes.push_back(fmt::format("{} result file(s) skipped ({} still running, {} invalid); `altup analyze {}` lists them",
                                      a.loaded.skipped.size(), a.loaded.running, a.loaded.invalid, runs_dir));
    return render_markdown({t}, {o.confidence_intervals});
}

}  // namespace altup
