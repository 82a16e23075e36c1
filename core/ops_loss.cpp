// Cross-entropy fused with log-softmax: the [N, V] probabilities are never
// stored; the backward recomputes them from the logits and the saved
// log-sum-exp, which is cheaper than writing and reading another N x V buffer.
#include <algorithm>
#include <cmath>

#include "core/op_util.hpp"
#include "core/ops.hpp"

namespace altup {
using detail::check;
using detail::grad_of;

Var cross_entropy(const Var& logits, const std::vector<int32_t>& targets, int32_t ignore_index) {
    check(logits->value.rank() == 2, "cross_entropy: expected logits [N, V], got " + shape_str(logits->value.shape()));
    const int64_t N = logits->value.dim(0), V = logits->value.dim(1);
    check(static_cast<int64_t>(targets.size()) == N, "cross_entropy: " + std::to_string(targets.size()) + " targets for " + std::to_string(N) + " rows");
    for (int64_t i = 0; i < N; ++i)
        check(targets[i] == ignore_index || (targets[i] >= 0 && targets[i] < V),
              "cross_entropy: target " + std::to_string(targets[i]) + " at row " + std::to_string(i) + " is outside [0, " + std::to_string(V) + ")");
    Tensor lse = Tensor::empty({N});
    Tensor row_loss = Tensor::empty({N});
    const float* x = logits->value.data();
#pragma omp parallel for schedule(static)
    for (int64_t i = 0; i < N; ++i) {
        const float* r = x + i * V;
        float mx = r[0];
        for (int64_t v = 1; v < V; ++v) mx = std::max(mx, r[v]);
        float s = 0.0f;
        for (int64_t v = 0; v < V; ++v) s += std::exp(r[v] - mx);
        lse.data()[i] = mx + std::log(s);
        row_loss.data()[i] = targets[i] == ignore_index ? 0.0f : lse.data()[i] - r[targets[i]];
    }
    double total = 0.0;
    int64_t count = 0;
    for (int64_t i = 0; i < N; ++i) {
        if (targets[i] == ignore_index) continue;
        total += row_loss.data()[i];
        ++count;
    }
    const float inv_count = count ? 1.0f / static_cast<float>(count) : 0.0f;
    Tensor out = Tensor::full({1}, static_cast<float>(total) * inv_count);
    return make_result(out, {logits}, [logits, targets, ignore_index, lse, N, V, inv_count](Node& o) {
        float* dx = grad_of(logits);
        if (!dx) return;
        const float g = o.grad.data()[0] * inv_count;
        const float* x = logits->value.data();
#pragma omp parallel for schedule(static)
        for (int64_t i = 0; i < N; ++i) {
            if (targets[i] == ignore_index) continue;
            const float* r = x + i * V;
            float* d = dx + i * V;
            const float l = lse.data()[i];
            for (int64_t v = 0; v < V; ++v) d[v] += g * std::exp(r[v] - l);
            d[targets[i]] -= g;
        }
    });
}

}  // namespace altup
