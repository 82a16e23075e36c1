#include "analysis/metrics.hpp"

namespace altup {

const std::array<MetricInfo, kMetricCount>& all_metrics() {
    static const std::array<MetricInfo, kMetricCount> table{{
        {Metric::eval_loss, "eval_loss", "quality.eval_loss", "eval loss", 1.0, 3},
        {Metric::perplexity, "perplexity", "quality.perplexity", "perplexity", 1.0, 2},
        {Metric::token_accuracy, "token_accuracy", "quality.token_accuracy", "accuracy (%)", 100.0, 2},
        {Metric::train_tokens_per_s, "train_tokens_per_s", "speed.train_tokens_per_s", "train tok/s", 1.0, 0},
        {Metric::ms_per_step, "ms_per_step", "speed.ms_per_step.median", "ms/step", 1.0, 1},
        {Metric::eval_tokens_per_s, "eval_tokens_per_s", "speed.eval_tokens_per_s", "eval tok/s", 1.0, 0},
        {Metric::params_total, "params_total", "params.total", "params", 1.0, 0},
        {Metric::params_embedding, "params_embedding", "params.embedding", "embedding", 1.0, 0},
        {Metric::params_non_embedding, "params_non_embedding", "params.non_embedding", "non-embedding", 1.0, 0},
        {Metric::altup_scalars, "altup_scalars", "params.altup_scalars", "AltUp scalars", 1.0, 0},
    }};
    return table;
}

const MetricInfo& metric_info(Metric metric) { return all_metrics()[metric_index(metric)]; }

}  // namespace altup
