#include "experiments/trainer/evaluate.hpp"

#include <chrono>
#include <cmath>
#include <stdexcept>

#include "experiments/data/dataset.hpp"

namespace altup {

EvalResult evaluate(LanguageModel& model, const std::vector<int32_t>& stream, int seq_len, int batch, int max_batches) {
    NoGradGuard no_grad;
    struct EvalMode {  // back to training mode however evaluation ends
        LanguageModel& m;
        explicit EvalMode(LanguageModel& model) : m(model) { m.set_training(false); }
        ~EvalMode() { m.set_training(true); }
    } eval_mode(model);
    const size_t windows = eval_window_count(stream, seq_len);
    if (windows == 0) throw std::runtime_error("evaluation split is shorter than one window of seq_len+1 tokens");
    const size_t budget = eval_window_budget(windows, batch, max_batches);
    const int64_t V = model.config().vocab;
    std::vector<int32_t> inputs, targets;
    double loss_sum = 0.0;
    int64_t correct = 0, tokens = 0;
    const auto t0 = std::chrono::steady_clock::now();
    for (size_t first = 0; first < budget; first += batch) {
        const size_t count = std::min<size_t>(batch, budget - first);
        inputs.resize(count * seq_len);
        targets.resize(count * seq_len);
        eval_windows(stream, seq_len, first, count, inputs.data(), targets.data());
        ModelOutput out = model.forward(inputs, targets, int64_t(count), seq_len);
        const int64_t n = int64_t(count) * seq_len;
        loss_sum += double(out.ce->value.item()) * double(n);
        const float* logits = out.logits->value.data();
        for (int64_t i = 0; i < n; ++i) {
            const float* row = logits + i * V;
            int64_t best = 0;
            for (int64_t v = 1; v < V; ++v)
                if (row[v] > row[best]) best = v;
            correct += best == targets[i];
        }
        tokens += n;
    }
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    EvalResult r;
    r.tokens = tokens;
    r.loss = loss_sum / double(tokens);
    r.perplexity = std::exp(r.loss);
    r.accuracy = double(correct) / double(tokens);
    r.tokens_per_s = secs > 0 ? double(tokens) / secs : 0.0;
    return r;
}

}  // namespace altup
