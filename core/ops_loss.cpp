// Cross-entropy fused with log-softmax, without an [N, V] buffer of its own:
// the forward keeps each row's maximum and sum of exponentials, and the backward writes
// softmax - one-hot straight into the logits' gradient, recomputing the
// exponentials with the vectorised kernels::exp_fast. Over the 2048 x 8192
// logits of a `small` step this is two passes instead of six.
#include <algorithm>
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
// sum_v exp(z[v] - mx) for the row's maximum mx (so that nothing overflows);
// with e, the exponentials are kept there too.
template <bool kKeep>
float exp_sum(const float* z, float mx, int64_t V, float* e) {
    float sum = 0.0f;
#pragma omp simd reduction(+ : sum)
    for (int64_t v = 0; v < V; ++v) {
        const float x = kernels::exp_fast(z[v] - mx);
        if constexpr (kKeep) e[v] = x;
        sum += x;
    }
    return sum;
}

// One row of the bf16 gradient g * (softmax(z) - one-hot(t)), rounded as it is
// computed: softmax(z)[v] = e[v] / sum with e[v] = exp(z[v] - mx), the
// exponentials either kept by the forward pass or recomputed (same bits).
void grad16_row(const float* e, float g, float sum, int32_t t, bool ignored, uint16_t* d, int64_t V) {
    if (ignored) {
        std::fill(d, d + V, uint16_t{0});
        return;
    }
    const float scale = g / sum;
#pragma omp simd
    for (int64_t v = 0; v < V; ++v) d[v] = kernels::round_bf16(scale * e[v]);
    d[t] = kernels::round_bf16(scale * e[t] - g);
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
    // Per row: the maximum and the sum of exponentials; the log-sum-exp is
    // mx + log(sum), recomputed where it is needed.
    Tensor row_max = Tensor::empty({N}), row_sum = Tensor::empty({N});
    float* mxs = row_max.data();
    float* sums = row_sum.data();
    int64_t count = 0;
    for (int64_t i = 0; i < N; ++i) count += targets[i] != ignore_index;
    const float inv_count = count ? 1.0f / static_cast<float>(count) : 0.0f;
    // bf16 training: the head's backward reads only a bf16 rounding of the
    // logits' gradient. For a loss differentiated as it is (upstream gradient
    // 1, as the trainer's backward(loss) gives it) that rounding is known now,
    // while each row is still in cache: the backward pass then hands it over
    // instead of reading the N x V logits again.
    Tensor early16;
    if (logits->bf16_grad_ok && logits->requires_grad && grad_enabled()) early16 = Tensor::empty({(N * V + 1) / 2});
    uint16_t* e16 = early16.defined() ? reinterpret_cast<uint16_t*>(early16.data()) : nullptr;
#pragma omp parallel
    {
        std::vector<float> e(e16 ? static_cast<size_t>(V) : 0);
#pragma omp for schedule(static)
        for (int64_t i = 0; i < N; ++i) {
            const float* zi = z + i * V;
            mxs[i] = kernels::max_of(zi, V);
            sums[i] = e16 ? exp_sum<true>(zi, mxs[i], V, e.data()) : exp_sum<false>(zi, mxs[i], V, nullptr);
            if (e16) grad16_row(e.data(), inv_count, sums[i], targets[i], targets[i] == ignore_index, e16 + i * V, V);
        }
    }
    double total = 0.0;  // summed in row order: the same for any thread count
    for (int64_t i = 0; i < N; ++i)
        if (targets[i] != ignore_index) total += static_cast<double>(mxs[i] + std::log(sums[i])) - z[i * V + targets[i]];
    Tensor out = Tensor::full({1}, static_cast<float>(total) * inv_count);
    return make_result(out, {logits}, [logits, targets, ignore_index, row_max, row_sum, early16, N, V, inv_count](Node& o) {
        if (!logits->requires_grad) return;
        const float g = o.grad.data()[0] * inv_count;
        const float* z = logits->value.data();
        const float* mxs = row_max.data();
        const float* sums = row_sum.data();
        if (logits->bf16_grad_ok && !logits->has_grad()) {
            // Write the bf16 rounding alone (no N x V f32 pass at all); the
            // forward pass already did when the upstream gradient is 1.
            if (early16.defined() && o.grad.data()[0] == 1.0f) {
                logits->grad16 = early16;
                return;
            }
            Tensor g16 = Tensor::empty({(N * V + 1) / 2});
            uint16_t* d16 = reinterpret_cast<uint16_t*>(g16.data());
#pragma omp parallel
            {
                std::vector<float> e(static_cast<size_t>(V));
#pragma omp for schedule(static)
                for (int64_t i = 0; i < N; ++i) {
                    exp_sum<true>(z + i * V, mxs[i], V, e.data());  // the forward pass's exponentials again
                    grad16_row(e.data(), g, sums[i], targets[i], targets[i] == ignore_index, d16 + i * V, V);
                }
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
            const float li = mxs[i] + std::log(sums[i]);
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
