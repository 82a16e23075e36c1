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

// An input of the products: f32, or with train.dtype bf16 also its rounding,
// made once per buffer (q, k and v share one) rather than once per product.
struct Operand {
    const float* f32;
    const uint16_t* b16;  // null in f32
    Operand at(int64_t offset) const { return {f32 + offset, b16 ? b16 + offset : nullptr}; }
};
Operand operand(const float* data, const Tensor& rounded) {
    return {data, rounded.defined() ? detail::bf16_data(rounded) : nullptr};
}
Tensor round_if(bool bf16, const float* data, int64_t n) { return bf16 ? detail::bf16_copy(data, n) : Tensor(); }
// One row of a score matrix rounded to bf16 (as dnn::to_bf16 would), inside the loop that wrote it.
inline void round_row(const float* row, uint16_t* out, int64_t n) {
#pragma omp simd
    for (int64_t j = 0; j < n; ++j) out[j] = kernels::round_bf16(row[j]);
}

void product(const dnn::StridedView& a, const dnn::StridedView& b, const dnn::StridedView& c, Operand A, Operand B, float* C,
             float alpha = 1.0f, bool accumulate = false) {
    if (A.b16) dnn::matmul_strided_bf16(a, b, c, A.b16, B.b16, C, alpha, accumulate);
    else dnn::matmul_strided(a, b, c, A.f32, B.f32, C, alpha, accumulate);
}
}  // namespace

Var causal_attention(const Var& qkv, int64_t B, int64_t T, int64_t H, Precision precision) {
    profiler::Scope prof_("causal_attention");
    const Shape& s = qkv->value.shape();
    check(s.size() == 2 && s[0] == B * T && s[1] % (3 * H) == 0,
          "causal_attention: expected qkv [B*T, 3d] with d divisible by heads, got " + shape_str(s));
    const int64_t d = s[1] / 3, Dh = d / H, W = 3 * d;
    const float scale = 1.0f / std::sqrt(float(Dh));
    const bool bf16 = precision == Precision::bf16;
    const Tensor qkv16 = round_if(bf16, qkv->value.data(), B * T * W);
    const Operand Q = operand(qkv->value.data(), qkv16);
    Tensor probs = Tensor::empty({B, H, T, T});
    product(heads_view(B, H, T, Dh, W), heads_view_t(B, H, T, Dh, W), square(B, H, T, false), Q, Q.at(d), probs.data(), scale);
    float* p = probs.data();
    // In bf16 the PV product's rounding of the probabilities is written here, while the row is in cache.
    const Tensor probs16 = bf16 ? Tensor::empty({(B * H * T * T + 1) / 2}) : Tensor();
    uint16_t* p16 = bf16 ? reinterpret_cast<uint16_t*>(probs16.data()) : nullptr;
#pragma omp parallel for schedule(static)
    for (int64_t r = 0; r < B * H * T; ++r) {
        const int64_t i = r % T;  // query position: keys 0..i are visible
        float* row = p + r * T;
        const float mx = kernels::max_of(row, i + 1);
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
        if (p16) round_row(row, p16 + r * T, T);
    }
    Tensor out = Tensor::empty({B * T, d});
    product(square(B, H, T, false), heads_view(B, H, T, Dh, W), heads_view(B, H, T, Dh, d), operand(p, probs16), Q.at(2 * d),
            out.data());
    return make_result(out, {qkv}, [qkv, qkv16, probs, probs16, B, T, H, d, Dh, W, scale](Node& o) {
        bool fresh = false;  // dV, dQ and dK each write their own third of dqkv
        float* dqkv = detail::grad_to_write(qkv, fresh);
        if (!dqkv) return;
        const bool bf16 = qkv16.defined();
        const Operand Q = operand(qkv->value.data(), qkv16), P = operand(probs.data(), probs16);
        const float* p = probs.data();
        const Tensor dout16 = round_if(bf16, o.grad.data(), B * T * d);
        const Operand dO = operand(o.grad.data(), dout16);
        Tensor dscores = Tensor::empty({B, H, T, T});
        float* ds = dscores.data();
        const Tensor ds16 = bf16 ? Tensor::empty({(B * H * T * T + 1) / 2}) : Tensor();
        uint16_t* s16 = bf16 ? reinterpret_cast<uint16_t*>(ds16.data()) : nullptr;
        // dP = dO . V^T; dV (+)= P^T . dO
        product(heads_view(B, H, T, Dh, d), heads_view_t(B, H, T, Dh, W), square(B, H, T, false), dO, Q.at(2 * d), ds);
        product(square(B, H, T, true), heads_view(B, H, T, Dh, d), heads_view(B, H, T, Dh, W), P, dO, dqkv + 2 * d, 1.0f,
                !fresh);
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
            if (s16) round_row(row, s16 + r * T, T);
        }
        // dQ (+)= scale * dS . K; dK (+)= scale * dS^T . Q
        const Operand dS = operand(ds, ds16);
        product(square(B, H, T, false), heads_view(B, H, T, Dh, W), heads_view(B, H, T, Dh, W), dS, Q.at(d), dqkv, scale, !fresh);
        product(square(B, H, T, true), heads_view(B, H, T, Dh, W), heads_view(B, H, T, Dh, W), dS, Q, dqkv + d, scale, !fresh);
    });
}

}  // namespace altup
