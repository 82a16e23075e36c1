// AltUp's ops as their definitions read (docs/altup.md): block sum, predict,
// correct, and Sequence-AltUp's mix. The fused predict-and-correct the model
// trains with is in ops_altup_fused.cpp and must give these ops' bits.
// Blocks are token-major: x [N, K*d].
#include <algorithm>
#include <vector>

#include "core/altup_rows.hpp"
#include "core/kernels.hpp"
#include "core/op_util.hpp"
#include "core/ops.hpp"
#include "core/profiler.hpp"

namespace altup {
using detail::block_sum_row;
using detail::check;
using detail::grad_of;
using detail::token_reduction;

Var weighted_sum(const std::vector<Var>& xs, const Var& w) {
    profiler::Scope prof_("weighted_sum");
    check(!xs.empty() && w->value.numel() == static_cast<int64_t>(xs.size()),
          "weighted_sum: " + std::to_string(xs.size()) + " tensors need as many weights, got " + shape_str(w->value.shape()));
    const int64_t n = xs[0]->value.numel();
    for (const auto& x : xs) check(x->value.numel() == n, "weighted_sum: tensors differ in size");
    Tensor out = Tensor::zeros(xs[0]->value.shape());
    for (size_t k = 0; k < xs.size(); ++k) kernels::axpy(n, w->value.data()[k], xs[k]->value.data(), out.data());
    std::vector<Var> inputs = xs;
    inputs.push_back(w);
    return make_result(out, inputs, [xs, w, n](Node& o) {
        const float* g = o.grad.data();
        float* dw = grad_of(w);
        for (size_t k = 0; k < xs.size(); ++k) {
            if (float* dx = grad_of(xs[k])) kernels::axpy(n, w->value.data()[k], g, dx);
            if (dw) dw[k] += kernels::dot(n, g, xs[k]->value.data());
        }
    });
}

Var altup_block_sum(const Var& x, const Var& w, int k) {
    profiler::Scope prof_("altup_block_sum");
    const int64_t W = x->value.dim(-1), N = x->value.numel() / W, d = W / k;
    check(k > 0 && W % k == 0 && w->value.numel() == k, "altup_block_sum: x " + shape_str(x->value.shape()) +
                                                            " is not K=" + std::to_string(k) + " blocks, or w " +
                                                            shape_str(w->value.shape()) + " is not [K]");
    Shape out_shape = x->value.shape();
    out_shape.back() = d;
    Tensor out = Tensor::empty(out_shape);
    const float* X = x->value.data();
    const float* w_ = w->value.data();
    float* Y = out.data();
#pragma omp parallel for schedule(static)
    for (int64_t n = 0; n < N; ++n) block_sum_row(X + n * W, w_, k, d, Y + n * d);
    return make_result(out, {x, w}, [x, w, k, N, W, d](Node& o) {
        const float* gy = o.grad.data();
        const float* w_ = w->value.data();
        bool fresh = false;
        if (float* dx = detail::grad_to_write(x, fresh)) {  // dx_i = w_i dy
#pragma omp parallel for schedule(static)
            for (int64_t n = 0; n < N; ++n)
                for (int i = 0; i < k; ++i) {
                    float* dxi = dx + n * W + i * d;
                    const float* g = gy + n * d;
                    if (fresh)
#pragma omp simd
                        for (int64_t c = 0; c < d; ++c) dxi[c] = w_[i] * g[c];
                    else
#pragma omp simd
                        for (int64_t c = 0; c < d; ++c) dxi[c] += w_[i] * g[c];
                }
        }
        if (float* dw = grad_of(w)) {  // dw_i = sum_n <dy, x_i>
            const float* X = x->value.data();
            token_reduction(N, k, [&](int64_t lo, int64_t hi, double* acc) {
                for (int64_t n = lo; n < hi; ++n)
                    for (int i = 0; i < k; ++i) acc[i] += kernels::dot(d, gy + n * d, X + n * W + i * d);
            }, dw);
        }
    });
}

Var altup_predict(const Var& x, const Var& p, int k) {
    profiler::Scope prof_("altup_predict");
    const int64_t W = x->value.dim(-1), N = x->value.numel() / W, d = W / k;
    check(W % k == 0 && p->value.numel() == int64_t(k) * k, "altup_predict: x " + shape_str(x->value.shape()) + " is not K=" +
                                                                std::to_string(k) + " blocks, or p is not K x K");
    Tensor out = Tensor::empty(x->value.shape());
    const float* xs = x->value.data();
    const float* P = p->value.data();
    float* y = out.data();
    // xhat_i = sum_j p[i][j] x_j
#pragma omp parallel for schedule(static)
    for (int64_t n = 0; n < N; ++n)
        for (int i = 0; i < k; ++i) {
            float* yi = y + n * W + i * d;
            for (int64_t c = 0; c < d; ++c) yi[c] = 0.0f;
            for (int j = 0; j < k; ++j) {
                const float pij = P[i * k + j];
                const float* xj = xs + n * W + j * d;
                for (int64_t c = 0; c < d; ++c) yi[c] += pij * xj[c];
            }
        }
    return make_result(out, {x, p}, [x, p, k, N, W, d](Node& o) {
        const float* g = o.grad.data();
        const float* P = p->value.data();
        if (float* dx = grad_of(x)) {
            // dx_j += sum_i p[i][j] g_i
#pragma omp parallel for schedule(static)
            for (int64_t n = 0; n < N; ++n)
                for (int j = 0; j < k; ++j) {
                    float* dxj = dx + n * W + j * d;
                    for (int i = 0; i < k; ++i) {
                        const float pij = P[i * k + j];
                        const float* gi = g + n * W + i * d;
                        for (int64_t c = 0; c < d; ++c) dxj[c] += pij * gi[c];
                    }
                }
        }
        if (float* dp = grad_of(p)) {
            // dp[i][j] = sum_n <g_i, x_j>
            const float* xs = x->value.data();
            token_reduction(N, k * k, [&](int64_t lo, int64_t hi, double* acc) {
                for (int64_t n = lo; n < hi; ++n)
                    for (int i = 0; i < k; ++i)
                        for (int j = 0; j < k; ++j) acc[i * k + j] += kernels::dot(d, g + n * W + i * d, xs + n * W + j * d);
            }, dp);
        }
    });
}

Var altup_correct(const Var& xhat, const Var& xtilde, const Var& g, int k, int j) {
    profiler::Scope prof_("altup_correct");
    const int64_t W = xhat->value.dim(-1), N = xhat->value.numel() / W, d = W / k;
    check(W % k == 0 && j >= 0 && j < k && g->value.numel() == k && xtilde->value.numel() == N * d,
          "altup_correct: xhat " + shape_str(xhat->value.shape()) + ", xtilde " + shape_str(xtilde->value.shape()) +
              ", g " + shape_str(g->value.shape()) + " do not fit K=" + std::to_string(k) + ", j=" + std::to_string(j));
    Tensor out = Tensor::empty(xhat->value.shape());
    const float* xh = xhat->value.data();
    const float* xt = xtilde->value.data();
    const float* G = g->value.data();
    float* y = out.data();
    // y_i = xhat_i + g_i (xtilde - xhat_j)
#pragma omp parallel for schedule(static)
    for (int64_t n = 0; n < N; ++n) {
        const float* xj = xh + n * W + j * d;
        const float* t = xt + n * d;
        for (int i = 0; i < k; ++i) {
            const float* xi = xh + n * W + i * d;
            float* yi = y + n * W + i * d;
            for (int64_t c = 0; c < d; ++c) yi[c] = xi[c] + G[i] * (t[c] - xj[c]);
        }
    }
    return make_result(out, {xhat, xtilde, g}, [xhat, xtilde, g, k, j, N, W, d](Node& o) {
        const float* gy = o.grad.data();
        const float* G = g->value.data();
        // Both are usually fresh (read by this op only): written, not added to.
        bool fresh_h = false, fresh_t = false;
        float* dxh = detail::grad_to_write(xhat, fresh_h);
        float* dxt = detail::grad_to_write(xtilde, fresh_t);
        if (dxh || dxt) {
#pragma omp parallel
            {
                std::vector<float> s(static_cast<size_t>(d));  // sum_i g_i dy_i: flows to xtilde, and negated to xhat_j
#pragma omp for schedule(static)
                for (int64_t n = 0; n < N; ++n) {
                    const float* gn = gy + n * W;
                    std::fill(s.begin(), s.end(), 0.0f);
                    for (int i = 0; i < k; ++i)
                        for (int64_t c = 0; c < d; ++c) s[c] += G[i] * gn[i * d + c];
                    if (dxt) {
                        if (fresh_t) std::copy(s.begin(), s.end(), dxt + n * d);
                        else
                            for (int64_t c = 0; c < d; ++c) dxt[n * d + c] += s[c];
                    }
                    if (dxh) {
                        if (fresh_h) std::copy(gn, gn + W, dxh + n * W);
                        else
                            for (int64_t c = 0; c < W; ++c) dxh[n * W + c] += gn[c];
                        for (int64_t c = 0; c < d; ++c) dxh[n * W + j * d + c] -= s[c];
                    }
                }
            }
        }
        if (float* dg = grad_of(g)) {
            // dg[i] = sum_n <dy_i, xtilde - xhat_j>
            const float* xh = xhat->value.data();
            const float* xt = xtilde->value.data();
            token_reduction(N, k, [&](int64_t lo, int64_t hi, double* acc) {
                for (int64_t n = lo; n < hi; ++n)
                    for (int i = 0; i < k; ++i) {
                        const float* gi = gy + n * W + i * d;
                        const float* t = xt + n * d;
                        const float* xj = xh + n * W + j * d;
                        double a = 0.0;
#pragma omp simd reduction(+ : a)
                        for (int64_t c = 0; c < d; ++c) a += double(gi[c]) * (t[c] - xj[c]);
                        acc[i] += a;
                    }
            }, dg);
        }
    });
}


Var sequence_altup_mix(const Var& x, const Var& xtilde, const Var& coef, int64_t B, int64_t T, int64_t s, int64_t o) {
    profiler::Scope prof_("sequence_altup_mix");
    const int64_t d = x->value.dim(-1), Tc = T / s;
    check(T % s == 0 && o >= 0 && o < s && x->value.numel() == B * T * d && xtilde->value.numel() == B * Tc * d &&
              (!coef || coef->value.numel() == 3),
          "sequence_altup_mix: x " + shape_str(x->value.shape()) + ", xtilde " + shape_str(xtilde->value.shape()) +
              " do not fit B=" + std::to_string(B) + " T=" + std::to_string(T) + " stride=" + std::to_string(s) +
              " offset=" + std::to_string(o));
    Tensor out = Tensor::empty(x->value.shape());
    const float* X = x->value.data();
    const float* Xt = xtilde->value.data();
    const float* C = coef ? coef->value.data() : nullptr;
    float* Y = out.data();
#pragma omp parallel for collapse(2) schedule(static)
    for (int64_t b = 0; b < B; ++b)
        for (int64_t t = 0; t < T; ++t) {
            const float* xr = X + (b * T + t) * d;
            float* y = Y + (b * T + t) * d;
            if (t < o) {  // no computed token at or before t
                for (int64_t i = 0; i < d; ++i) y[i] = xr[i];
                continue;
            }
            const int64_t m = (t - o) / s;  // index of t's computed token in the subsequence
            const float* xt = Xt + (b * Tc + m) * d;
            const float* xc = X + (b * T + o + m * s) * d;
            if ((t - o) % s == 0)
                for (int64_t i = 0; i < d; ++i) y[i] = xt[i];
            else if (!C)
                for (int64_t i = 0; i < d; ++i) y[i] = xr[i];
            else
                for (int64_t i = 0; i < d; ++i) y[i] = C[0] * xr[i] + C[1] * xc[i] + C[2] * (xt[i] - xc[i]);
        }
    return make_result(out, {x, xtilde, coef}, [x, xtilde, coef, B, T, s, o, d, Tc](Node& out_node) {
        const float* G = out_node.grad.data();
        const float* X = x->value.data();
        const float* Xt = xtilde->value.data();
        const float* C = coef ? coef->value.data() : nullptr;
        float* dx = grad_of(x);
        float* dxt = grad_of(xtilde);
        float* dc = grad_of(coef);
        double da = 0, db = 0, dg = 0;
        // Sequential: several tokens write into the same computed token's rows.
        for (int64_t b = 0; b < B; ++b)
            for (int64_t t = 0; t < T; ++t) {
                const int64_t row = b * T + t;
                const float* g = G + row * d;
                if (t < o) {
                    if (dx) kernels::axpy(d, 1.0f, g, dx + row * d);
                    continue;
                }
                const int64_t m = (t - o) / s, crow = b * T + o + m * s, trow = b * Tc + m;
                if ((t - o) % s == 0) {
                    if (dxt) kernels::axpy(d, 1.0f, g, dxt + trow * d);
                } else if (!C) {
                    if (dx) kernels::axpy(d, 1.0f, g, dx + row * d);
                } else {
                    if (dx) {
                        kernels::axpy(d, C[0], g, dx + row * d);
                        kernels::axpy(d, C[1] - C[2], g, dx + crow * d);
                    }
                    if (dxt) kernels::axpy(d, C[2], g, dxt + trow * d);
                    if (dc) {
                        da += kernels::dot(d, g, X + row * d);
                        db += kernels::dot(d, g, X + crow * d);
                        for (int64_t i = 0; i < d; ++i) dg += double(g[i]) * (Xt[trow * d + i] - X[crow * d + i]);
                    }
                }
            }
        if (dc) {
            dc[0] += float(da);
            dc[1] += float(db);
            dc[2] += float(dg);
        }
    });
}

}  // namespace altup
