// Cross-entropy fused with log-softmax. The forward runs oneDNN's log-softmax
// (JIT-vectorised) into a saved [N, V] buffer; the backward turns it into
// probabilities with oneDNN's exp and subtracts the one-hot targets. Plain
// std::exp loops over the 2048 x 8192 logits cost tens of milliseconds a step.
#include "core/dnn.hpp"
#include "core/op_util.hpp"
#include "core/ops.hpp"
#include "core/profiler.hpp"

namespace altup {
using detail::check;
using detail::grad_of;

Var cross_entropy(const Var& logits, const std::vector<int32_t>& targets, int32_t ignore_index) {
    profiler::Scope prof_("cross_entropy");
    check(logits->value.rank() == 2, "cross_entropy: expected logits [N, V], got " + shape_str(logits->value.shape()));
    const int64_t N = logits->value.dim(0), V = logits->value.dim(1);
    check(static_cast<int64_t>(targets.size()) == N, "cross_entropy: " + std::to_string(targets.size()) + " targets for " + std::to_string(N) + " rows");
    for (int64_t i = 0; i < N; ++i)
        check(targets[i] == ignore_index || (targets[i] >= 0 && targets[i] < V),
              "cross_entropy: target " + std::to_string(targets[i]) + " at row " + std::to_string(i) + " is outside [0, " + std::to_string(V) + ")");
    Tensor logp = Tensor::empty({N, V});
    dnn::log_softmax_forward(logits->value.data(), logp.data(), N, V);
    double total = 0.0;
    int64_t count = 0;
    for (int64_t i = 0; i < N; ++i) {
        if (targets[i] == ignore_index) continue;
        total -= logp.data()[i * V + targets[i]];
        ++count;
    }
    const float inv_count = count ? 1.0f / static_cast<float>(count) : 0.0f;
    Tensor out = Tensor::full({1}, static_cast<float>(total) * inv_count);
    return make_result(out, {logits}, [logits, targets, ignore_index, logp, N, V, inv_count](Node& o) {
        float* dx = grad_of(logits);
        if (!dx) return;
        const float g = o.grad.data()[0] * inv_count;
        Tensor p = Tensor::empty({N, V});
        dnn::exp_forward(logp.data(), p.data(), N * V);
        const float* P = p.data();
#pragma omp parallel for schedule(static)
        for (int64_t i = 0; i < N; ++i) {
            if (targets[i] == ignore_index) continue;
            float* d = dx + i * V;
            const float* pr = P + i * V;
#pragma omp simd
            for (int64_t v = 0; v < V; ++v) d[v] += g * pr[v];
            d[targets[i]] -= g;
        }
    });
}

}  // namespace altup
