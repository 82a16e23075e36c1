#include "analysis/baseline_comparison.hpp"

namespace altup {
namespace {

std::optional<double> difference(const std::optional<double>& a, const std::optional<double>& b, double scale) {
    if (!a || !b) return std::nullopt;
    return (*a - *b) * scale;
}

}  // namespace

SpeedRatio speed_ratio(const std::optional<double>& speed, const std::optional<double>& baseline_speed) {
    if (!speed || !baseline_speed || *speed <= 0 || *baseline_speed <= 0) return {};
    const double r = *speed / *baseline_speed;
    return {r, (1.0 / r - 1.0) * 100.0};
}

BaselineComparisons compare_to_baseline(const std::vector<Group>& groups, const std::string& variant_key,
                                        const std::string& baseline, EvalSplit split) {
    BaselineComparisons out;
    out.split = split;
    const Metric accuracy = on_split(Metric::token_accuracy, split), loss = on_split(Metric::eval_loss, split);
    for (std::size_t i = 0; i < groups.size(); ++i) {
        const Group& g = groups[i];
        if (method_of(g, variant_key) == baseline) continue;
        if (!g.standalone && !g.labels.count(variant_key)) continue;  // no methods to compare
        std::optional<std::size_t> match;
        for (std::size_t j = 0; j < groups.size() && !match; ++j)
            if (method_of(groups[j], variant_key) == baseline && groups[j].standalone == g.standalone &&
                context_of(groups[j], variant_key) == context_of(g, variant_key))
                match = j;
        if (!match) {
            out.without_baseline.push_back(i);
            continue;
        }
        const Group& b = groups[*match];
        BaselineComparison row;
        row.group = i;
        row.baseline = *match;
        row.delta_accuracy_points =
            difference(g.stat(accuracy).mean, b.stat(accuracy).mean, 100.0);
        row.delta_loss = difference(g.stat(loss).mean, b.stat(loss).mean, 1.0);
        const SpeedRatio train = speed_ratio(g.stat(Metric::train_tokens_per_s).mean, b.stat(Metric::train_tokens_per_s).mean);
        const SpeedRatio eval = speed_ratio(g.stat(Metric::eval_tokens_per_s).mean, b.stat(Metric::eval_tokens_per_s).mean);
        row.train_speedup = train.speedup;
        row.train_slowdown_percent = train.slowdown_percent;
        row.eval_speedup = eval.speedup;
        row.eval_slowdown_percent = eval.slowdown_percent;
        row.accuracy_test = welch_t_test(g.seed_values(accuracy), b.seed_values(accuracy));
        row.loss_test = welch_t_test(g.seed_values(loss), b.seed_values(loss));
        out.rows.push_back(row);
    }
    return out;
}

}  // namespace altup
