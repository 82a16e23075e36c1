// Cross-entropy fused with log-softmax (core/cross_entropy_rows.hpp): the
// forward keeps each row's maximum and sum of exponentials, and the backward
// writes softmax - one-hot straight into the logits' gradient, recomputing the
// exponentials with the vectorised kernels::exp_fast. Over the 2048 x 8192
// logits of a `small` step this is two passes instead of six.
#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/cross_entropy_rows.hpp"
#include "core/kernels.hpp"
#include "core/op_util.hpp"
#include "core/ops.hpp"
#include "core/profiler.hpp"

namespace altup {
using detail::check;

namespace cross_entropy_rows {
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

RowStats forward(const float* z, int64_t N, int64_t V, const std::vector<int32_t>& targets, int32_t ignore_index,
                 uint16_t* e16) {
    for (int64_t i = 0; i < N; ++i)
        check(targets[i] == ignore_index || (targets[i] >= 0 && targets[i] < V),
              "cross_entropy: target " + std::to_string(targets[i]) + " at row " + std::to_string(i) + " is outside [0, " + std::to_string(V) + ")");
    RowStats s;
    s.row_max = Tensor::empty({N});
    s.row_sum = Tensor::empty({N});
    float* mxs = s.row_max.data();
    float* sums = s.row_sum.data();
    int64_t count = 0;
    for (int64_t i = 0; i < N; ++i) count += targets[i] != ignore_index;
    const float inv_count = count ? 1.0f / static_cast<float>(count) : 0.0f;
    s.inv_count = inv_count;
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
    s.loss = static_cast<float>(total) * inv_count;
    return s;
}

void gradient_bf16(const float* z, const RowStats& s, float g, const std::vector<int32_t>& targets, int32_t ignore_index,
                   int64_t N, int64_t V, uint16_t* d16) {
    const float* mxs = s.row_max.data();
    const float* sums = s.row_sum.data();
#pragma omp parallel
    {
        std::vector<float> e(static_cast<size_t>(V));
#pragma omp for schedule(static)
        for (int64_t i = 0; i < N; ++i) {
            exp_sum<true>(z + i * V, mxs[i], V, e.data());  // the forward pass's exponentials again
            grad16_row(e.data(), g, sums[i], targets[i], targets[i] == ignore_index, d16 + i * V, V);
        }
    }
}

void gradient_f32(const float* z, const RowStats& s, float g, const std::vector<int32_t>& targets, int32_t ignore_index,
                  int64_t N, int64_t V, float* dx, bool fresh) {
    const float* mxs = s.row_max.data();
    const float* sums = s.row_sum.data();
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
}

}  // namespace cross_entropy_rows

Var cross_entropy(const Var& logits, const std::vector<int32_t>& targets, int32_t ignore_index) {
    profiler::Scope prof_("cross_entropy");
    check(logits->value.rank() == 2, "cross_entropy: expected logits [N, V], got " + shape_str(logits->value.shape()));
    const int64_t N = logits->value.dim(0), V = logits->value.dim(1);
    check(static_cast<int64_t>(targets.size()) == N, "cross_entropy: " + std::to_string(targets.size()) + " targets for " + std::to_string(N) + " rows");
    const cross_entropy_rows::RowStats stats = cross_entropy_rows::forward(logits->value.data(), N, V, targets, ignore_index, nullptr);
    Tensor out = Tensor::full({1}, stats.loss);
    return make_result(out, {logits}, [logits, targets, ignore_index, stats, N, V](Node& o) {
        if (!logits->requires_grad) return;
        bool fresh = false;
        float* dx = detail::grad_to_write(logits, fresh);
        cross_entropy_rows::gradient_f32(logits->value.data(), stats, o.grad.data()[0] * stats.inv_count, targets,
                                         ignore_index, N, V, dx, fresh);
    });
}

}  // namespace altup
