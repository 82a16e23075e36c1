// The per-trial numbers analysis aggregates over seeds, and how each is read
// from result.json (docs/result-files.md) and shown in tables (docs/analysis.md).
#pragma once
#include <array>
#include <cstddef>
#include <optional>
#include <string>

#include "experiments/data/dataset.hpp"

namespace altup {

enum class Metric {
    eval_loss,
    perplexity,
    token_accuracy,
    // The trainer's final evaluation on the test split (result.json quality.test;
    // null in files written before it existed). Studies report these, and choose
    // nothing by them.
    test_loss,
    test_perplexity,
    test_accuracy,
    train_tokens_per_s,
    ms_per_step,
    eval_tokens_per_s,
    flops_per_step,  // the analytic training cost of a step: the same on any machine (absent in old files)
    params_total,
    params_embedding,
    params_non_embedding,
    altup_scalars,
    // From the optional `downstream` section of a fine-tune trial (docs/result-files.md):
    // absent for pretraining trials, then every one of them is nullopt.
    downstream_accuracy,
    downstream_macro_f1,
    downstream_test_accuracy,
    downstream_test_macro_f1,
    downstream_majority_accuracy,
    downstream_word_majority_accuracy,
    downstream_ms_per_step,
    downstream_wall_time_s,
};
inline constexpr std::size_t kMetricCount = 22;

struct MetricInfo {
    Metric metric;
    const char* key;         // identifier in CSV/JSON output
    const char* json_path;   // where result.json holds it, dotted
    const char* header;      // column header in human-readable tables
    double display_scale;    // token accuracy is shown in percent
    int precision;           // decimals shown after scaling
    const char* name;        // in prose ("baseline accuracy 31.00–50.00%")
    bool downstream;         // read from the optional downstream section
    bool quality;            // a quality measure: may be --metric (pivot cells, iso-quality axis)
};

const MetricInfo& metric_info(Metric metric);
const std::array<MetricInfo, kMetricCount>& all_metrics();

// One optional value per metric (null in result.json, or absent, is nullopt).
using MetricValues = std::array<std::optional<double>, kMetricCount>;

inline std::size_t metric_index(Metric metric) { return static_cast<std::size_t>(metric); }

// Direction of a quality metric: losses and perplexity fall as models improve.
inline bool higher_is_better(Metric metric) {
    return metric != Metric::eval_loss && metric != Metric::perplexity && metric != Metric::test_loss &&
           metric != Metric::test_perplexity;
}

// The same quality measured on the given held-out split: eval_loss,
// perplexity and token_accuracy become test_loss, test_perplexity and
// test_accuracy on the test split (and back); every other metric is itself.
Metric on_split(Metric metric, EvalSplit split);

// A metric by its key ("downstream_accuracy"); nullopt when unknown.
std::optional<Metric> metric_by_key(const std::string& key);

// The keys a --metric may name, comma-separated, for messages.
std::string quality_metric_keys();

// The CSV/table key of a metric's column: "_pct" added when shown in percent.
std::string table_key(Metric metric);

}  // namespace altup
