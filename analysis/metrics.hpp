// The per-trial numbers analysis aggregates over seeds, and how each is read
// from result.json (docs/results.md) and shown in tables (docs/analysis.md).
#pragma once
#include <array>
#include <cstddef>
#include <optional>

namespace altup {

enum class Metric {
    eval_loss,
    perplexity,
    token_accuracy,
    train_tokens_per_s,
    ms_per_step,
    eval_tokens_per_s,
    params_total,
    params_embedding,
    params_non_embedding,
    altup_scalars,
};
inline constexpr std::size_t kMetricCount = 10;

struct MetricInfo {
    Metric metric;
    const char* key;         // identifier in CSV/JSON output
    const char* json_path;   // where result.json holds it, dotted
    const char* header;      // column header in human-readable tables
    double display_scale;    // token accuracy is shown in percent
    int precision;           // decimals shown after scaling
};

const MetricInfo& metric_info(Metric metric);
const std::array<MetricInfo, kMetricCount>& all_metrics();

// One optional value per metric (null in result.json, or absent, is nullopt).
using MetricValues = std::array<std::optional<double>, kMetricCount>;

inline std::size_t metric_index(Metric metric) { return static_cast<std::size_t>(metric); }

}  // namespace altup
