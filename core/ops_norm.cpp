// LayerNorm on oneDNN's layer_normalization (forward_training keeps mean and
// variance for the backward); RMSNorm by hand, since oneDNN 2.6 has none.
#include <cmath>

#include "core/dnn.hpp"
#include "core/kernels.hpp"
#include "core/op_util.hpp"
#include "core/ops.hpp"
#include "core/profiler.hpp"

namespace altup {
using detail::check;
using detail::grad_of;

Var layernorm(const Var& x, const Var& gamma, const Var& beta, float eps) {
    profiler::Scope prof_("layernorm");
    const int64_t cols = x->value.dim(-1), rows = x->value.numel() / cols;
    check(gamma->value.numel() == cols && beta->value.numel() == cols,
          "layernorm: gamma/beta must have " + std::to_string(cols) + " entries");
    Tensor out = Tensor::empty(x->value.shape());
    Tensor stats = Tensor::empty({2, rows});  // mean, variance
    dnn::layernorm_forward(x->value.data(), gamma->value.data(), beta->value.data(), out.data(), stats.data(),
                           stats.data() + rows, rows, cols, eps);
    return make_result(out, {x, gamma, beta}, [x, gamma, beta, stats, rows, cols, eps](Node& o) {
        bool fresh = false;  // a fresh dx buffer is written by oneDNN directly
        float* gx = detail::grad_to_write(x, fresh);
        Tensor dx = fresh ? Tensor() : Tensor::empty(x->value.shape());
        Tensor dgb = Tensor::empty({2, cols});
        dnn::layernorm_backward(x->value.data(), gamma->value.data(), beta->value.data(), stats.data(), stats.data() + rows,
                                o.grad.data(), fresh ? gx : dx.data(), dgb.data(), dgb.data() + cols, rows, cols, eps);
        if (gx && !fresh) kernels::axpy(rows * cols, 1.0f, dx.data(), gx);
        if (float* g = grad_of(gamma)) kernels::axpy(cols, 1.0f, dgb.data(), g);
        if (float* g = grad_of(beta)) kernels::axpy(cols, 1.0f, dgb.data() + cols, g);
    });
}

Var rmsnorm(const Var& x, const Var& gamma, float eps) {
    profiler::Scope prof_("rmsnorm");
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


Var rms_match(const Var& y, const Var& ref, float eps) {
    profiler::Scope prof_("rms_match");
    const int64_t d = y->value.dim(-1), rows = y->value.numel() / d;
    check(ref->value.numel() == y->value.numel(), "rms_match: y " + shape_str(y->value.shape()) + " and ref " +
                                                      shape_str(ref->value.shape()) + " differ in size");
    Tensor out = Tensor::empty(y->value.shape());
    Tensor stats = Tensor::empty({2, rows});  // rms(y), rms(ref)
    const float* Y = y->value.data();
    const float* R = ref->value.data();
#pragma omp parallel for schedule(static)
    for (int64_t r = 0; r < rows; ++r) {
        float sy = 0, sr = 0;
        for (int64_t c = 0; c < d; ++c) {
            sy += Y[r * d + c] * Y[r * d + c];
            sr += R[r * d + c] * R[r * d + c];
        }
        const float ry = std::sqrt(sy / d + eps), rr = std::sqrt(sr / d + eps);
        stats.data()[r] = ry;
        stats.data()[rows + r] = rr;
        for (int64_t c = 0; c < d; ++c) out.data()[r * d + c] = Y[r * d + c] * rr / ry;
    }
    return make_result(out, {y, ref}, [y, ref, stats, rows, d](Node& o) {
        const float* Y = y->value.data();
        const float* R = ref->value.data();
        const float* G = o.grad.data();
        float* dy = grad_of(y);
        float* dref = grad_of(ref);
#pragma omp parallel for schedule(static)
        for (int64_t r = 0; r < rows; ++r) {
            const float ry = stats.data()[r], rr = stats.data()[rows + r];
            float gy = 0;  // <g, y>
            for (int64_t c = 0; c < d; ++c) gy += G[r * d + c] * Y[r * d + c];
            // out = y * rr / ry:  d/dy = rr/ry (g - y <g,y> / (d ry^2));  d/dref = <g,y>/ry * ref / (d rr)
            for (int64_t c = 0; c < d; ++c) {
                if (dy) dy[r * d + c] += rr / ry * (G[r * d + c] - Y[r * d + c] * gy / (d * ry * ry));
                if (dref) dref[r * d + c] += gy / ry * R[r * d + c] / (d * rr);
            }
        }
    });
}

}  // namespace altup
