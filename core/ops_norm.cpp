// LayerNorm on oneDNN's layer_normalization (forward_training keeps mean and
// variance for the backward); RMSNorm by hand, since oneDNN 2.6 has none.
#include <cmath>

#include "core/dnn.hpp"
#include "core/kernels.hpp"
#include "core/op_util.hpp"
#include "core/ops.hpp"

namespace altup {
using detail::check;
using detail::grad_of;

Var layernorm(const Var& x, const Var& gamma, const Var& beta, float eps) {
    const int64_t cols = x->value.dim(-1), rows = x->value.numel() / cols;
    check(gamma->value.numel() == cols && beta->value.numel() == cols,
          "layernorm: gamma/beta must have " + std::to_string(cols) + " entries");
    Tensor out = Tensor::empty(x->value.shape());
    Tensor stats = Tensor::empty({2, rows});  // mean, variance
    dnn::layernorm_forward(x->value.data(), gamma->value.data(), beta->value.data(), out.data(), stats.data(),
                           stats.data() + rows, rows, cols, eps);
    return make_result(out, {x, gamma, beta}, [x, gamma, beta, stats, rows, cols, eps](Node& o) {
        Tensor dx = Tensor::empty(x->value.shape());
        Tensor dgb = Tensor::empty({2, cols});
        dnn::layernorm_backward(x->value.data(), gamma->value.data(), beta->value.data(), stats.data(), stats.data() + rows,
                                o.grad.data(), dx.data(), dgb.data(), dgb.data() + cols, rows, cols, eps);
        if (float* g = grad_of(x)) kernels::axpy(rows * cols, 1.0f, dx.data(), g);
        if (float* g = grad_of(gamma)) kernels::axpy(cols, 1.0f, dgb.data(), g);
        if (float* g = grad_of(beta)) kernels::axpy(cols, 1.0f, dgb.data() + cols, g);
    });
}

Var rmsnorm(const Var& x, const Var& gamma, float eps) {
    const int64_t cols = x->value.dim(-1), rows = x->value.numel() / cols;
    check(gamma->value.numel() == cols, "rmsnorm: gamma must have " + std::to_string(cols) + " entries");
    Tensor out = Tensor::empty(x->value.shape());
    Tensor rstd = Tensor::empty({rows});
    const float* in = x->value.data();
    const float* gm = gamma->value.data();
    float* y = out.data();
#pragma omp parallel for schedule(static)
    for (int64_t r = 0; r < rows; ++r) {
        const float* xr = in + r * cols;
        float ss = 0.0f;
        for (int64_t c = 0; c < cols; ++c) ss += xr[c] * xr[c];
        const float inv = 1.0f / std::sqrt(ss / cols + eps);
        rstd.data()[r] = inv;
        for (int64_t c = 0; c < cols; ++c) y[r * cols + c] = xr[c] * inv * gm[c];
    }
    return make_result(out, {x, gamma}, [x, gamma, rstd, rows, cols](Node& o) {
        const float* in = x->value.data();
        const float* gm = gamma->value.data();
        const float* g = o.grad.data();
        const float* rs = rstd.data();
        if (float* dx = grad_of(x)) {
            // y = x * r * gamma, r = (mean(x^2)+eps)^-1/2:
            // dx = r * (g*gamma) - x * r^3 * mean(x * g*gamma)
#pragma omp parallel for schedule(static)
            for (int64_t r = 0; r < rows; ++r) {
                const float* xr = in + r * cols;
                const float* gr = g + r * cols;
                float m = 0.0f;
                for (int64_t c = 0; c < cols; ++c) m += xr[c] * gr[c] * gm[c];
                m /= cols;
                const float inv = rs[r], inv3 = inv * inv * inv;
                for (int64_t c = 0; c < cols; ++c) dx[r * cols + c] += inv * gr[c] * gm[c] - xr[c] * inv3 * m;
            }
        }
        if (float* dg = grad_of(gamma)) {
#pragma omp parallel for schedule(static)
            for (int64_t c = 0; c < cols; ++c) {
                float acc = 0.0f;
                for (int64_t r = 0; r < rows; ++r) acc += g[r * cols + c] * in[r * cols + c] * rs[r];
                dg[c] += acc;
            }
        }
    });
}

}  // namespace altup
