// Cross-entropy fused with log-softmax, without an [N, V] buffer of its own:
// the forward keeps one log-sum-exp per row, and the backward writes
// softmax - one-hot straight into the logits' gradient, recomputing the
// exponentials with the vectorised kernels::exp_fast. Over the 2048 x 8192
// logits of a `small` step this is two passes instead of six.
#include <cmath>
#include <vector>

#include "core/dnn.hpp"
#include "core/kernels.hpp"
#include "core/op_util.hpp"
#include "core/ops.hpp"
#include "core/profiler.hpp"

namespace altup {
using detail::check;

namespace {
// log sum_v exp(z[v]), shifted by the row's maximum so that nothing overflows.
float log_sum_exp(const float* z, int64_t V) {
    const float mx = kernels::max_of(z, V);
    float sum = 0.0f;
#pragma omp simd reduction(+ : sum)
    for (int64_t v = 0; v < V; ++v) sum += kernels::exp_fast(z[v] - mx);
    return mx + std::log(sum);
}
}  // namespace

Var cross_entropy(const Var& logits, const std::vector<int32_t>& targets, int32_t ignore_index) {
    profiler::Scope prof_("cross_entropy");
    check(logits->value.rank() == 2, "cross_entropy: expected logits [N, V], got " + shape_str(logits->value.shape()));
    const int64_t N = logits->value.dim(0), V = logits->value.dim(1);
    check(static_cast<int64_t>(targets.size()) == N, "cross_entropy: " + std::to_string(targets.size()) + " targets for " + std::to_string(N) + " rows");
    for (int64_t i = 0; i < N; ++i)
        check(targets[i] == ignore_index || (targets[i] >= 0 && targets[i] < V),
              "cross_entropy: target " + std::to_string(targets[i]) + " at row " + std::to_string(i) + " is outside [0, " + std::to_string(V) + ")");
    const float* z = logits->value.data();
    Tensor lse = Tensor::empty({N});
    float* l = lse.data();
#pragma omp parallel for schedule(static)
    for (int64_t i = 0; i < N; ++i) l[i] = log_sum_exp(z + i * V, V);
    double total = 0.0;  // summed in row order: the same for any thread count
    int64_t count = 0;
    for (int64_t i = 0; i < N; ++i) {
        if (targets[i] == ignore_index) continue;
        total += static_cast<double>(l[i]) - z[i * V + targets[i]];
        ++count;
    }
    const float inv_count = count ? 1.0f / static_cast<float>(count) : 0.0f;
    Tensor out = Tensor::full({1}, static_cast<float>(total) * inv_count);
    return make_result(out, {logits}, [logits, targets, ignore_index, lse, N, V, inv_count](Node& o) {
        if (!logits->requires_grad) return;
        const float g = o.grad.data()[0] * inv_count;
        const float* z = logits->value.data();
        const float* l = lse.data();
        if (logits->bf16_grad_ok && !logits->has_grad()) {
            // bf16 training: the head's backward reads only a bf16 rounding of
            // this gradient, so write that alone (no N x V f32 pass at all).
            Tensor g16 = Tensor::empty({(N * V + 1) / 2});
            uint16_t* d16 = reinterpret_cast<uint16_t*>(g16.data());
#pragma omp parallel for schedule(static)
            for (int64_t i = 0; i < N; ++i) {
                uint16_t* di = d16 + i * V;
                if (targets[i] == ignore_index) {
                    std::fill(di, di + V, uint16_t{0});
                    continue;
                }
                const float* zi = z + i * V;
                const float li = l[i];
#pragma omp simd
                for (int64_t v = 0; v < V; ++v) di[v] = kernels::round_bf16(g * kernels::exp_fast(zi[v] - li));
                const int32_t t = targets[i];
                di[t] = kernels::round_bf16(g * kernels::exp_fast(zi[t] - li) - g);
            }
            logits->grad16 = g16;
            return;
        }
        bool fresh = false;
        float* dx = detail::grad_to_write(logits, fresh);
#pragma omp parallel for schedule(static)
        for (int64_t i = 0; i < N; ++i) {
            float* d = dx + i * V;
            const float* zi = z + i * V;
            if (targets[i] == ignore_index) {
                if (fresh) std::fill(d, d + V, 0.0f);
                continue;
            }
            const float li = l[i];
            if (fresh) {
#pragma omp simd
                for (int64_t v = 0; v < V; ++v) d[v] = g * kernels::exp_fast(zi[v] - li);
            } else {
#pragma omp simd
                for (int64_t v = 0; v < V; ++v) d[v] += g * kernels::exp_fast(zi[v] - li);
            }
            d[targets[i]] -= g;
        }
    });
}

}  // namespace altup
