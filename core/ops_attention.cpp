// Causal self-attention as one op over the packed q|k|v projections: the four
// batched matmuls read q, k and v through strides and write the heads merged,
// so no head split, transpose or merge is ever copied; the masked softmax is
// a fused loop and its probabilities are kept for the backward pass.
#include <algorithm>
#include <cmath>

#include "core/dnn.hpp"
#include "core/kernels.hpp"
#include "core/op_util.hpp"
#include "core/ops.hpp"
#include "core/profiler.hpp"

namespace altup {
using detail::check;
using detail::grad_of;

namespace {
// Views of a [B*T, width] token-major buffer as [B, H, T, Dh] (offset applied by the caller).
dnn::StridedView heads_view(int64_t B, int64_t H, int64_t T, int64_t Dh, int64_t width) {
    return {{B, H, T, Dh}, {T * width, Dh, width, 1}};
}
// The same, transposed in its last two axes: [B, H, Dh, T].
dnn::StridedView heads_view_t(int64_t B, int64_t H, int64_t T, int64_t Dh, int64_t width) {
    return {{B, H, Dh, T}, {T * width, Dh, 1, width}};
}
dnn::StridedView square(int64_t B, int64_t H, int64_t T, bool transposed) {
    return transposed ? dnn::StridedView{{B, H, T, T}, {H * T * T, T * T, 1, T}}
                      : dnn::StridedView{{B, H, T, T}, {H * T * T, T * T, T, 1}};
}
}  // namespace

Var causal_attention(const Var& qkv, int64_t B, int64_t T, int64_t H) {
    profiler::Scope prof_("causal_attention");
    const Shape& s = qkv->value.shape();
    check(s.size() == 2 && s[0] == B * T && s[1] % (3 * H) == 0,
          "causal_attention: expected qkv [B*T, 3d] with d divisible by heads, got " + shape_str(s));
    const int64_t d = s[1] / 3, Dh = d / H, W = 3 * d;
    const float scale = 1.0f / std::sqrt(float(Dh));
    const float* q = qkv->value.data();
    Tensor probs = Tensor::empty({B, H, T, T});
    dnn::matmul_strided(heads_view(B, H, T, Dh, W), heads_view_t(B, H, T, Dh, W), square(B, H, T, false), q, q + d,
                        probs.data(), scale);
    float* p = probs.data();
#pragma omp parallel for schedule(static)
    for (int64_t r = 0; r < B * H * T; ++r) {
        const int64_t i = r % T;  // query position: keys 0..i are visible
        float* row = p + r * T;
        float mx = row[0];
#pragma omp simd reduction(max : mx)
        for (int64_t j = 1; j <= i; ++j) mx = std::max(mx, row[j]);
        float sum = 0.0f;
#pragma omp simd reduction(+ : sum)
        for (int64_t j = 0; j <= i; ++j) {
            row[j] = kernels::exp_fast(row[j] - mx);
            sum += row[j];
        }
        const float inv = 1.0f / sum;
#pragma omp simd
        for (int64_t j = 0; j <= i; ++j) row[j] *= inv;
        std::fill(row + i + 1, row + T, 0.0f);
    }
    Tensor out = Tensor::empty({B * T, d});
    dnn::matmul_strided(square(B, H, T, false), heads_view(B, H, T, Dh, W), heads_view(B, H, T, Dh, d), p, q + 2 * d,
                        out.data());
    return make_result(out, {qkv}, [qkv, probs, B, T, H, d, Dh, W, scale](Node& o) {
        bool fresh = false;  // dV, dQ and dK each write their own third of dqkv
        float* dqkv = detail::grad_to_write(qkv, fresh);
        if (!dqkv) return;
        const float* q = qkv->value.data();
        const float* p = probs.data();
        const float* dout = o.grad.data();
        Tensor dscores = Tensor::empty({B, H, T, T});
        float* ds = dscores.data();
        // dP = dO . V^T; dV (+)= P^T . dO
        dnn::matmul_strided(heads_view(B, H, T, Dh, d), heads_view_t(B, H, T, Dh, W), square(B, H, T, false), dout,
                            q + 2 * d, ds);
        dnn::matmul_strided(square(B, H, T, true), heads_view(B, H, T, Dh, d), heads_view(B, H, T, Dh, W), p, dout,
                            dqkv + 2 * d, 1.0f, !fresh);
        // Softmax backward over the visible keys: dS = P * (dP - sum(P * dP)); 0 above the diagonal.
#pragma omp parallel for schedule(static)
        for (int64_t r = 0; r < B * H * T; ++r) {
            const int64_t i = r % T;
            const float* prow = p + r * T;
            float* row = ds + r * T;
            float dot = 0.0f;
#pragma omp simd reduction(+ : dot)
            for (int64_t j = 0; j <= i; ++j) dot += prow[j] * row[j];
#pragma omp simd
            for (int64_t j = 0; j <= i; ++j) row[j] = prow[j] * (row[j] - dot);
            std::fill(row + i + 1, row + T, 0.0f);
        }
        // dQ (+)= scale * dS . K; dK (+)= scale * dS^T . Q
        dnn::matmul_strided(square(B, H, T, false), heads_view(B, H, T, Dh, W), heads_view(B, H, T, Dh, W), ds, q + d,
                            dqkv, scale, !fresh);
        dnn::matmul_strided(square(B, H, T, true), heads_view(B, H, T, Dh, W), heads_view(B, H, T, Dh, W), ds, q,
                            dqkv + d, scale, !fresh);
    });
}

}  // namespace altup
