#include "analysis/metrics.hpp"

#include <utility>

namespace altup {

const std::array<MetricInfo, kMetricCount>& all_metrics() {
    // metric, key, json path, header, scale, precision, name, downstream, quality
    static const std::array<MetricInfo, kMetricCount> table{{
        {Metric::eval_loss, "eval_loss", "quality.eval_loss", "eval loss", 1.0, 3, "eval loss", false, true},
        {Metric::perplexity, "perplexity", "quality.perplexity", "perplexity", 1.0, 2, "perplexity", false, true},
        {Metric::token_accuracy, "token_accuracy", "quality.token_accuracy", "accuracy (%)", 100.0, 2, "accuracy", false, true},
        {Metric::test_loss, "test_loss", "quality.test.loss", "test loss", 1.0, 3, "test loss", false, true},
        {Metric::test_perplexity, "test_perplexity", "quality.test.perplexity", "test perplexity", 1.0, 2, "test perplexity", false, true},
        {Metric::test_accuracy, "test_accuracy", "quality.test.token_accuracy", "test accuracy (%)", 100.0, 2, "test accuracy", false, true},
        {Metric::train_tokens_per_s, "train_tokens_per_s", "speed.train_tokens_per_s", "train tok/s", 1.0, 0, "train tok/s", false, false},
        {Metric::ms_per_step, "ms_per_step", "speed.ms_per_step.median", "ms/step", 1.0, 1, "ms/step", false, false},
        {Metric::eval_tokens_per_s, "eval_tokens_per_s", "speed.eval_tokens_per_s", "eval tok/s", 1.0, 0, "eval tok/s", false, false},
        {Metric::flops_per_step, "flops_per_step", "speed.flops_per_step", "GFLOP/step", 1e-9, 2, "training FLOPs per step", false, false},
        {Metric::params_total, "params_total", "params.total", "params", 1.0, 0, "parameters", false, false},
        {Metric::params_embedding, "params_embedding", "params.embedding", "embedding", 1.0, 0, "embedding parameters", false, false},
        {Metric::params_non_embedding, "params_non_embedding", "params.non_embedding", "non-embedding", 1.0, 0, "non-embedding parameters", false, false},
        {Metric::altup_scalars, "altup_scalars", "params.altup_scalars", "AltUp scalars", 1.0, 0, "AltUp scalars", false, false},
        {Metric::downstream_accuracy, "downstream_accuracy", "downstream.accuracy", "downstream acc (%)", 100.0, 2, "downstream accuracy", true, true},
        {Metric::downstream_macro_f1, "downstream_macro_f1", "downstream.macro_f1", "downstream macro-F1 (%)", 100.0, 2, "downstream macro-F1", true, true},
        {Metric::downstream_test_accuracy, "downstream_test_accuracy", "downstream.test.accuracy", "test acc (%)", 100.0, 2, "downstream test accuracy", true, true},
        {Metric::downstream_test_macro_f1, "downstream_test_macro_f1", "downstream.test.macro_f1", "test macro-F1 (%)", 100.0, 2, "downstream test macro-F1", true, true},
        {Metric::downstream_majority_accuracy, "downstream_majority_accuracy", "downstream.majority_accuracy", "majority baseline (%)", 100.0, 2, "majority-class accuracy", true, false},
        {Metric::downstream_word_majority_accuracy, "downstream_word_majority_accuracy", "downstream.word_majority_accuracy", "per-word majority (%)", 100.0, 2, "most-frequent-tag-per-word accuracy", true, false},
        {Metric::downstream_ms_per_step, "downstream_ms_per_step", "downstream.ms_per_step.median", "fine-tune ms/step", 1.0, 1, "fine-tune ms/step", true, false},
        {Metric::downstream_wall_time_s, "downstream_wall_time_s", "downstream.wall_time_s", "fine-tune time (s)", 1.0, 1, "fine-tune wall time", true, false},
    }};
    return table;
}

const MetricInfo& metric_info(Metric metric) { return all_metrics()[metric_index(metric)]; }

Metric on_split(Metric metric, EvalSplit split) {
    static constexpr std::pair<Metric, Metric> kPairs[] = {{Metric::eval_loss, Metric::test_loss},
                                                           {Metric::perplexity, Metric::test_perplexity},
                                                           {Metric::token_accuracy, Metric::test_accuracy}};
    for (const auto& [valid, test] : kPairs)
        if (metric == valid || metric == test) return split == EvalSplit::test ? test : valid;
    return metric;
}

std::optional<Metric> metric_by_key(const std::string& key) {
    for (const MetricInfo& info : all_metrics())
        if (key == info.key) return info.metric;
    return std::nullopt;
}

std::string quality_metric_keys() {
    std::string out;
    for (const MetricInfo& info : all_metrics())
        if (info.quality) out += (out.empty() ? "" : ", ") + std::string(info.key);
    return out;
}

std::string table_key(Metric metric) {
    const MetricInfo& info = metric_info(metric);
    if (info.display_scale == 1e-9) return "g" + std::string(info.key);  // flops_per_step shown in GFLOP
    return std::string(info.key) + (info.display_scale == 100.0 ? "_pct" : "");
}

}  // namespace altup
