// Everything `altup analyze` computes from a runs directory, before formatting.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "analysis/baseline_comparison.hpp"
#include "analysis/bench_speeds.hpp"
#include "analysis/grouping.hpp"
#include "analysis/family_fit.hpp"
#include "analysis/iso_quality.hpp"
#include "analysis/pivot.hpp"
#include "analysis/reference_floors.hpp"
#include "analysis/result_loader.hpp"

namespace altup {

struct AnalyzeOptions {
    std::string baseline = "baseline";    // the variant others are compared with
    std::string variant_key = "variant";  // the label that names a method
    std::string pivot_key;                // "" = model.preset when present; "none" = no pivot
    bool confidence_intervals = false;    // 95% t-intervals on aggregate cells (on in `altup analyze` and the sweep summary)
    bool extrapolate = false;             // compute iso-quality speedups outside the baseline's range
    FamilySpec family;                    // the iso-quality reference family (default: dense models)
    std::optional<FitCost> fit;           // fit the family's quality against this cost (--fit flops|time)
    bool include_stale = false;           // show stale trials (no longer in their sweep's expansion) as their own groups
    // Running trials' curves so far in the curves and trials tables and the
    // loss-curve figure, marked running; never in a table of final numbers.
    bool include_running = false;
    // Figures: logarithmic x and/or y axes (--plot-log x|y|xy).
    bool plot_log_x = false;
    bool plot_log_y = false;
    // The quality of the pivot cells and of the iso-quality axis (a MetricInfo::quality
    // metric: token_accuracy, eval_loss, downstream_accuracy, ...).
    Metric metric = Metric::token_accuracy;
    // The held-out split every quality number is read from: validation (the
    // default: what the trainer evaluates during training) or test (the final
    // evaluation on documents no choice looked at; result.json quality.test).
    // `metric` is taken on this split (on_split).
    EvalSplit split = EvalSplit::valid;
    std::string gnuplot = "gnuplot";      // executable, looked up on PATH
};

struct Analysis {
    std::string runs_dir;
    LoadedResults loaded;          // every completed trial, stale ones included
    std::size_t stale_left_out = 0;  // stale trials not grouped (without include_stale)
    std::vector<Group> groups;
    std::vector<std::string> label_keys;  // label columns of the group tables
    bool several_sweeps = false;
    BaselineComparisons comparisons;
    SpeedSources speed;  // per group: altup bench figures or the trials' timing (bench_speeds.hpp)
    std::string size_key;  // the pivot's column label, also the iso-quality size axis
    std::optional<PivotTable> pivot;
    std::vector<IsoQualityRow> iso;
    std::vector<FitRow> fit;  // with options.fit: compute multipliers from the family's power-law fit
    Metric metric = Metric::token_accuracy;  // of the pivot and iso-quality tables, on `split`
    EvalSplit split = EvalSplit::valid;
    bool has_downstream = false;             // a loaded trial has a downstream section
    // Method × downstream task (columns: finetune.task values), cells the downstream
    // metric (options.metric if downstream, else downstream_accuracy); only fine-tune groups.
    std::optional<PivotTable> downstream_pivot;
    Metric downstream_metric = Metric::downstream_accuracy;
    ReferenceFloors reference_floors;  // n-gram floors per data/eval configuration
};

// Throws AnalysisError when runs_dir cannot be read or options.metric is not a quality metric.
Analysis analyze(const std::string& runs_dir, const AnalyzeOptions& options);

}  // namespace altup
