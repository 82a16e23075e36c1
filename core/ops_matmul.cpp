// matmul, bmm, linear: forward and both backward products on dnnl::matmul,
// transposes expressed as strides, gradients accumulated with a sum post-op.
#include "core/dnn.hpp"
#include "core/kernels.hpp"
#include "core/op_util.hpp"
#include "core/ops.hpp"
#include "core/profiler.hpp"

namespace altup {
using detail::check;
using detail::grad_of;
using detail::bf16_copy;
using detail::bf16_data;
using detail::grad_to_write;

namespace {
// linear with bf16 matmul inputs: X and W are rounded once in the forward pass
// and kept for the backward products, dY once for both of them (three
// roundings instead of six). The LM head is not a linear: head_cross_entropy
// (ops_head.cpp) rounds its dY where it is made.
Var linear_bf16(const Var& x, const Var& weight, const Var& bias, Tensor out, int64_t M, int64_t N, int64_t K, bool vary) {
    Tensor x16 = bf16_copy(x->value.data(), M * K), w16 = bf16_copy(weight->value.data(), N * K);
    dnn::matmul_bf16(dnn::MatmulShape::linear_forward(M, N, K, vary).with_precision(Precision::bf16), bf16_data(x16), bf16_data(w16), out.data(),
                     bias ? bias->value.data() : nullptr);
    return make_result(out, {x, weight, bias}, [x, weight, bias, x16, w16, M, N, K, vary](Node& o) {
        const bool wants_dx = x->requires_grad, wants_dw = weight->requires_grad;
        float* db = grad_of(bias);
        if (wants_dx || wants_dw) {
            // The rounding of dY, in one pass with the bias gradient when there is one.
            Tensor dy16 = Tensor::empty({(M * N + 1) / 2});
            uint16_t* dst = reinterpret_cast<uint16_t*>(dy16.data());
            if (db) kernels::add_column_sums_and_round(M, N, o.grad.data(), db, dst);
            else dnn::to_bf16(o.grad.data(), dst, M * N);
            db = nullptr;
            bool fresh = false;
            if (float* dX = grad_to_write(x, fresh))
                dnn::matmul_bf16(dnn::MatmulShape::linear_input_grad(M, N, K, vary).with_precision(Precision::bf16), bf16_data(dy16), bf16_data(w16), dX,
                                 nullptr, 1.0f, !fresh);
            if (float* dW = grad_to_write(weight, fresh))
                dnn::matmul_bf16(dnn::MatmulShape::linear_weight_grad(M, N, K, vary).with_precision(Precision::bf16), bf16_data(dy16), bf16_data(x16), dW,
                                 nullptr, 1.0f, !fresh);
        }
        if (db) kernels::add_column_sums(M, N, o.grad.data(), db);
    });
}

// Shared by matmul and bmm: C[b] = alpha * A[b] . op(B[b]) with B batched or broadcast.
Var product(const Var& a, const Var& b, int64_t batch, int64_t M, int64_t K, int64_t N, bool trans_b, bool broadcast_b,
            float alpha, Shape out_shape, Precision p) {
    Tensor out = Tensor::empty(out_shape);
    const auto s = dnn::MatmulShape::of(batch, M, N, K).with_trans_b(trans_b).with_broadcast_b(broadcast_b).with_precision(p);
    dnn::matmul(s, a->value.data(), b->value.data(), out.data(), nullptr, alpha);
    return make_result(out, {a, b}, [a, b, batch, M, K, N, trans_b, broadcast_b, alpha, p](Node& o) {
        const float* dC = o.grad.data();
        bool fresh = false;
        if (float* dA = grad_to_write(a, fresh)) {
            // dA[M,K] (+)= dC[M,N] . op(B)^T
            const auto sa = dnn::MatmulShape::of(batch, M, K, N).with_trans_b(!trans_b).with_broadcast_b(broadcast_b).with_precision(p);
            dnn::matmul(sa, dC, b->value.data(), dA, nullptr, alpha, !fresh);
        }
        if (float* dB = grad_to_write(b, fresh)) {
            if (broadcast_b) {
                // B shared by the batch: fold the batch into rows. A is [batch*M, K].
                if (!trans_b) {  // dB[K,N] = A^T . dC
                    const auto sb = dnn::MatmulShape::of(1, K, N, batch * M).with_trans_a(true).with_precision(p);
                    dnn::matmul(sb, a->value.data(), dC, dB, nullptr, alpha, !fresh);
                } else {  // dB[N,K] = dC^T . A
                    const auto sb = dnn::MatmulShape::of(1, N, K, batch * M).with_trans_a(true).with_precision(p);
                    dnn::matmul(sb, dC, a->value.data(), dB, nullptr, alpha, !fresh);
                }
            } else if (!trans_b) {
                const auto sb = dnn::MatmulShape::of(batch, K, N, M).with_trans_a(true).with_precision(p);
                dnn::matmul(sb, a->value.data(), dC, dB, nullptr, alpha, !fresh);
            } else {
                const auto sb = dnn::MatmulShape::of(batch, N, K, M).with_trans_a(true).with_precision(p);
                dnn::matmul(sb, dC, a->value.data(), dB, nullptr, alpha, !fresh);
            }
        }
    });
}
}  // namespace

Var matmul(const Var& a, const Var& b, bool trans_b, Precision precision) {
    profiler::Scope prof_("matmul");
    const Shape& as = a->value.shape();
    const Shape& bs = b->value.shape();
    check(as.size() >= 1 && bs.size() == 2, "matmul: expected a [..., K] and b 2-D, got " + shape_str(as) + " and " + shape_str(bs));
    const int64_t K = as.back();
    const int64_t N = trans_b ? bs[0] : bs[1];
    check((trans_b ? bs[1] : bs[0]) == K, "matmul: inner dimensions differ: " + shape_str(as) + " . " + shape_str(bs) + (trans_b ? "^T" : ""));
    Shape out_shape = as;
    out_shape.back() = N;
    return product(a, b, 1, a->value.numel() / K, K, N, trans_b, false, 1.0f, out_shape, precision);
}

Var bmm(const Var& a, const Var& b, bool trans_b, float alpha, Precision precision) {
    profiler::Scope prof_("bmm");
    const Shape& as = a->value.shape();
    const Shape& bs = b->value.shape();
    check(as.size() >= 3 && bs.size() == as.size(), "bmm: expected a [B..., M, K] and b of the same rank, got " + shape_str(as) + " and " + shape_str(bs));
    for (size_t i = 0; i + 2 < as.size(); ++i) check(as[i] == bs[i], "bmm: batch dimensions differ: " + shape_str(as) + " vs " + shape_str(bs));
    const int64_t M = as[as.size() - 2], K = as.back();
    const int64_t bk = trans_b ? bs.back() : bs[bs.size() - 2];
    const int64_t N = trans_b ? bs[bs.size() - 2] : bs.back();
    check(bk == K, "bmm: inner dimensions differ: " + shape_str(as) + " . " + shape_str(bs) + (trans_b ? "^T" : ""));
    Shape out_shape = as;
    out_shape.back() = N;
    return product(a, b, detail::leading(as, 2), M, K, N, trans_b, false, alpha, out_shape, precision);
}

Var linear(const Var& x, const Var& weight, const Var& bias, Rows rows, Precision precision) {
    profiler::Scope prof_("linear");
    const Shape& xs = x->value.shape();
    const Shape& ws = weight->value.shape();
    check(ws.size() == 2 && xs.back() == ws[1], "linear: x " + shape_str(xs) + " does not fit weight " + shape_str(ws) + " (expected [N, K] with K = x's last dim)");
    const int64_t K = ws[1], N = ws[0], M = x->value.numel() / K;
    if (bias) check(bias->value.numel() == N, "linear: bias " + shape_str(bias->value.shape()) + " for " + std::to_string(N) + " outputs");
    Shape out_shape = xs;
    out_shape.back() = N;
    Tensor out = Tensor::empty(out_shape);
    const bool vary = rows == Rows::varying;  // for the backward products too
    // In bf16, a product that takes dnnl_sgemm (a dimension not a multiple of
    // 16) stays f32, and so do its backward products (the same dimensions).
    if (dnn::uses_bf16(dnn::MatmulShape::linear_forward(M, N, K, vary).with_precision(precision)))
        return linear_bf16(x, weight, bias, out, M, N, K, vary);
    dnn::matmul(dnn::MatmulShape::linear_forward(M, N, K, vary), x->value.data(), weight->value.data(), out.data(),
                bias ? bias->value.data() : nullptr);
    return make_result(out, {x, weight, bias}, [x, weight, bias, M, N, K, vary](Node& o) {
        const float* dY = o.grad.data();
        bool fresh = false;
        if (float* dX = grad_to_write(x, fresh))  // dX[M,K] (+)= dY[M,N] . W[N,K]
            dnn::matmul(dnn::MatmulShape::linear_input_grad(M, N, K, vary), dY, weight->value.data(), dX, nullptr, 1.0f,
                        !fresh);
        if (float* dW = grad_to_write(weight, fresh))  // dW[N,K] (+)= dY^T . X
            dnn::matmul(dnn::MatmulShape::linear_weight_grad(M, N, K, vary), dY, x->value.data(), dW, nullptr, 1.0f,
                        !fresh);
        if (float* db = grad_of(bias)) kernels::add_column_sums(M, N, dY, db);
    });
}

}  // namespace altup
