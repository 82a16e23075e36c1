// The LM head and its loss as one op, in the spirit of llm.c's fused
// classifier: the logits' gradient is made inside the op, from the rows
// cross_entropy_rows keeps, and goes straight into the head's two backward
// products. Under bf16 those products read only a bf16 rounding of it, so
// that rounding is all that is ever written: in the forward pass while each
// row is in cache (for a loss differentiated as it is, upstream gradient 1),
// else in the backward pass from the same formula (the same bits).
#include "core/cross_entropy_rows.hpp"
#include "core/dnn.hpp"
#include "core/op_util.hpp"
#include "core/ops.hpp"
#include "core/profiler.hpp"

namespace altup {
using detail::bf16_copy;
using detail::bf16_data;
using detail::check;
using detail::grad_to_write;

HeadLoss head_cross_entropy(const Var& h, const Var& weight, const std::vector<int32_t>& targets, Precision precision,
                            int32_t ignore_index) {
    profiler::Scope prof_("head_cross_entropy");
    const Shape& hs = h->value.shape();
    const Shape& ws = weight->value.shape();
    check(hs.size() == 2 && ws.size() == 2 && hs[1] == ws[1],
          "head_cross_entropy: h " + shape_str(hs) + " does not fit weight " + shape_str(ws) + " (expected [N, K] and [V, K])");
    const int64_t M = hs[0], K = hs[1], V = ws[0];
    check(static_cast<int64_t>(targets.size()) == M,
          "cross_entropy: " + std::to_string(targets.size()) + " targets for " + std::to_string(M) + " rows");
    const dnn::MatmulShape product = dnn::MatmulShape::linear_forward(M, V, K, false).with_precision(precision);
    const bool bf16 = dnn::uses_bf16(product);
    Tensor logits = Tensor::empty({M, V}), h16, w16;
    if (bf16) {
        h16 = bf16_copy(h->value.data(), M * K);
        w16 = bf16_copy(weight->value.data(), V * K);
        dnn::matmul_bf16(product, bf16_data(h16), bf16_data(w16), logits.data());
    } else {
        dnn::matmul(product, h->value.data(), weight->value.data(), logits.data());
    }
    const bool wants_grad = grad_enabled() && (h->requires_grad || weight->requires_grad);
    Tensor early16;
    if (bf16 && wants_grad) early16 = Tensor::empty({(M * V + 1) / 2});
    namespace rows = cross_entropy_rows;
    const rows::RowStats stats = rows::forward(logits.data(), M, V, targets, ignore_index,
                                               early16.defined() ? reinterpret_cast<uint16_t*>(early16.data()) : nullptr);
    Var loss = make_result(Tensor::full({1}, stats.loss), {h, weight},
                           [h, weight, logits, targets, ignore_index, stats, early16, h16, w16, M, V, K, bf16](Node& o) {
        const float upstream = o.grad.data()[0];
        const float g = upstream * stats.inv_count;
        bool fresh = false;
        if (bf16) {
            Tensor dy16 = early16;
            if (!dy16.defined() || upstream != 1.0f) {
                dy16 = Tensor::empty({(M * V + 1) / 2});
                rows::gradient_bf16(logits.data(), stats, g, targets, ignore_index, M, V,
                                    reinterpret_cast<uint16_t*>(dy16.data()));
            }
            if (float* dH = grad_to_write(h, fresh))  // dH[M,K] (+)= dY[M,V] . W[V,K]
                dnn::matmul_bf16(dnn::MatmulShape::linear_input_grad(M, V, K, false).with_precision(Precision::bf16), bf16_data(dy16), bf16_data(w16), dH,
                                 nullptr, 1.0f, !fresh);
            if (float* dW = grad_to_write(weight, fresh))  // dW[V,K] (+)= dY^T . H
                dnn::matmul_bf16(dnn::MatmulShape::linear_weight_grad(M, V, K, false).with_precision(Precision::bf16), bf16_data(dy16), bf16_data(h16), dW,
                                 nullptr, 1.0f, !fresh);
            return;
        }
        Tensor dy = Tensor::empty({M, V});
        rows::gradient_f32(logits.data(), stats, g, targets, ignore_index, M, V, dy.data(), /*fresh=*/true);
        if (float* dH = grad_to_write(h, fresh))
            dnn::matmul(dnn::MatmulShape::linear_input_grad(M, V, K, false), dy.data(), weight->value.data(), dH, nullptr,
                        1.0f, !fresh);
        if (float* dW = grad_to_write(weight, fresh))
            dnn::matmul(dnn::MatmulShape::linear_weight_grad(M, V, K, false), dy.data(), h->value.data(), dW, nullptr,
                        1.0f, !fresh);
    });
    return {loss, leaf(logits)};
}

}  // namespace altup
