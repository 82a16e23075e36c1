// AltUp's predict-and-correct (docs/architecture.md), fused so that the K
// blocks of a token are read once. Blocks are token-major: x [N, K*d].
#include <omp.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <utility>
#include <vector>

#include "core/kernels.hpp"
#include "core/op_util.hpp"
#include "core/ops.hpp"
#include "core/profiler.hpp"

namespace altup {
using detail::check;
using detail::grad_of;

namespace {
// Sums over the N tokens of a reduction into `out[0..m)`, in parallel but in
// an order fixed by N alone: 64 chunks of rows (whatever the thread count),
// each accumulated in double by `chunk(lo, hi, partial)`, then added in chunk order.
template <class Chunk>
void token_reduction(int64_t N, int m, Chunk chunk, float* out) {
    constexpr int64_t kChunks = 64;
    std::vector<double> partial(size_t(kChunks * m), 0.0);
#pragma omp parallel for schedule(static)
    for (int64_t c = 0; c < kChunks; ++c) chunk(N * c / kChunks, N * (c + 1) / kChunks, partial.data() + c * m);
    for (int r = 0; r < m; ++r) {
        double s = 0.0;
        for (int64_t c = 0; c < kChunks; ++c) s += partial[size_t(c * m + r)];
        out[r] += static_cast<float>(s);
    }
}

// predict_correct's forward for one token row and a block count K known at
// compile time: one pass over the columns, the K blocks in registers; the
// same operations in the same order as the generic loop (equal bits).
template <int K>
void pc_forward_row(const float* xn, const float* t, const float* P, const float* G, int j, int64_t d, float* yn) {
#pragma omp simd
    for (int64_t c = 0; c < d; ++c) {
        float xv[K], xh[K];
        for (int m = 0; m < K; ++m) xv[m] = xn[m * d + c];
        for (int i = 0; i < K; ++i) {
            xh[i] = 0.0f;
            for (int m = 0; m < K; ++m) xh[i] += P[i * K + m] * xv[m];
        }
        float xhat_j = 0.0f;  // xh[j] again (same bits): a runtime index would keep xh out of registers
        for (int m = 0; m < K; ++m) xhat_j += P[j * K + m] * xv[m];
        const float innovation = t[c] - xhat_j;
        for (int i = 0; i < K; ++i) yn[i * d + c] = xh[i] + G[i] * innovation;
    }
}

// predict_correct's backward for one token row and a block count K known at
// compile time (2, 3, 4: the usual ones): a single pass over the columns with
// the K blocks' values in registers. It writes (fresh) or adds to dx and dxt,
// and adds the per-column terms of dp[i][m] (at col + (i*K+m)*d) and dg[i] (at
// col + (K*K+i)*d). Same arithmetic as the generic loops in the op.
template <int K, bool FreshX, bool FreshT>
void pc_backward_row(const float* gn, const float* xn, const float* t, const float* P, const float* G, int j, int64_t d,
                     float* dxn, float* dtn, float* col) {
#pragma omp simd
    for (int64_t c = 0; c < d; ++c) {
        float gv[K], xv[K], dh[K];
        float s = 0.0f, xhat_j = 0.0f;
        for (int i = 0; i < K; ++i) {
            gv[i] = gn[i * d + c];
            xv[i] = xn[i * d + c];
        }
        for (int i = 0; i < K; ++i) s += G[i] * gv[i];
        for (int m = 0; m < K; ++m) xhat_j += P[j * K + m] * xv[m];
        const float e = t[c] - xhat_j;
        if (FreshT) dtn[c] = s;
        else dtn[c] += s;
        for (int i = 0; i < K; ++i) dh[i] = i == j ? gv[i] - s : gv[i];
        for (int m = 0; m < K; ++m) {
            float v = 0.0f;
            for (int i = 0; i < K; ++i) v += P[i * K + m] * dh[i];
            if (FreshX) dxn[m * d + c] = v;
            else dxn[m * d + c] += v;
        }
        for (int i = 0; i < K; ++i)
            for (int m = 0; m < K; ++m) col[(i * K + m) * d + c] += dh[i] * xv[m];
        for (int i = 0; i < K; ++i) col[(K * K + i) * d + c] += gv[i] * e;
    }
}

using ForwardRow = void (*)(const float*, const float*, const float*, const float*, int, int64_t, float*);
using BackwardRow = void (*)(const float*, const float*, const float*, const float*, const float*, int, int64_t, float*,
                             float*, float*);
bool has_fixed_kernels(int k) { return k >= 2 && k <= 4; }
ForwardRow forward_row(int k) { return k == 2 ? pc_forward_row<2> : k == 3 ? pc_forward_row<3> : pc_forward_row<4>; }
BackwardRow backward_row(int k, bool fresh_x, bool fresh_t) {
    static constexpr BackwardRow rows[3][4] = {
        {pc_backward_row<2, false, false>, pc_backward_row<2, false, true>, pc_backward_row<2, true, false>, pc_backward_row<2, true, true>},
        {pc_backward_row<3, false, false>, pc_backward_row<3, false, true>, pc_backward_row<3, true, false>, pc_backward_row<3, true, true>},
        {pc_backward_row<4, false, false>, pc_backward_row<4, false, true>, pc_backward_row<4, true, false>, pc_backward_row<4, true, true>}};
    return rows[k - 2][2 * fresh_x + fresh_t];
}

// y = sum_i w_i x_i for one token's K blocks: block by block into a zeroed
// row, as weighted_sum's axpys (equal bits).
void block_sum_row(const float* xn, const float* w, int k, int64_t d, float* y) {
    std::fill(y, y + d, 0.0f);
    for (int i = 0; i < k; ++i) {
        const float wi = w[i];
        const float* xi = xn + i * d;
#pragma omp simd
        for (int64_t c = 0; c < d; ++c) y[c] += wi * xi[c];
    }
}

// One token's K equal blocks (a replicated input) written out in `row`.
const float* replicate_row(const float* e, int k, int64_t d, float* row) {
    for (int i = 0; i < k; ++i) std::memcpy(row + i * d, e, sizeof(float) * d);
    return row;
}
}  // namespace

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


Var altup_predict_correct(const Var& x, const Var& xtilde, const Var& p, const Var& g, int k, int j) {
    return altup_predict_correct_fused(x, xtilde, p, g, k, j, {}).first;
}

std::pair<Var, Var> altup_predict_correct_fused(const Var& x, const Var& xtilde, const Var& p, const Var& g, int k, int j,
                                                const AltUpFusion& fuse) {
    profiler::Scope prof_("altup_predict_correct");
    const int next_j = fuse.next_j;
    const bool rep = fuse.x_replicated;
    const Var w = fuse.out_weights;
    const int64_t d = xtilde->value.dim(-1), N = xtilde->value.numel() / d, W = int64_t(k) * d;
    check(k >= 1 && j >= 0 && j < k && p->value.numel() == int64_t(k) * k && g->value.numel() == k &&
              x->value.numel() == N * (rep ? d : W) && x->value.dim(-1) == (rep ? d : W),
          "altup_predict_correct: x " + shape_str(x->value.shape()) + (rep ? " (one block for all K)" : "") + ", xtilde " +
              shape_str(xtilde->value.shape()) + ", p " + shape_str(p->value.shape()) + ", g " + shape_str(g->value.shape()) +
              " do not fit K=" + std::to_string(k) + ", j=" + std::to_string(j));
    check(next_j >= -1 && next_j < k && (!w || (w->value.numel() == k && next_j < 0)),
          "altup_predict_correct: block " + std::to_string(next_j) + " to select, output weights " +
              (w ? shape_str(w->value.shape()) : std::string("none")) + ", K=" + std::to_string(k) +
              " (a block is selected only when y itself is the output)");
    const bool fixed_k = has_fixed_kernels(k);
    if (!fixed_k && (rep || w)) {  // the generic loops read x and write y whole: composed
        AltUpFusion select_only;
        select_only.next_j = next_j;
        auto r = altup_predict_correct_fused(rep ? concat(std::vector<Var>(k, x)) : x, xtilde, p, g, k, j, select_only);
        return w ? std::pair<Var, Var>{altup_block_sum(r.first, w, k), nullptr} : r;
    }
    Shape out_shape = xtilde->value.shape();
    if (!w) out_shape.back() = W;
    Tensor out = Tensor::empty(out_shape);
    Tensor selected = next_j >= 0 ? Tensor::empty({N, d}) : Tensor();
    const float* X = x->value.data();
    const float* Xt = xtilde->value.data();
    const float* P = p->value.data();
    const float* G = g->value.data();
    float* Y = out.data();
    // Per token: xhat_i = sum_m p[i][m] x_m (the same order as altup_predict),
    // then y_i = xhat_i + g_i (xtilde - xhat_j) as altup_correct: equal bits.
    // A replicated x is spread into a row, and with output weights y's row is
    // summed where it is made (altup_block_sum's order), never written out.
    if (fixed_k) {
        const ForwardRow row = forward_row(k);
        const float* Wt = w ? w->value.data() : nullptr;
#pragma omp parallel
        {
            std::vector<float> xs(rep ? W : 0), ys(w ? W : 0);
#pragma omp for schedule(static)
            for (int64_t n = 0; n < N; ++n) {
                const float* xn = rep ? replicate_row(X + n * d, k, d, xs.data()) : X + n * W;
                float* yn = w ? ys.data() : Y + n * W;
                row(xn, Xt + n * d, P, G, j, d, yn);
                if (next_j >= 0) std::memcpy(selected.data() + n * d, yn + next_j * d, sizeof(float) * d);  // still in L1
                if (w) block_sum_row(yn, Wt, k, d, Y + n * d);
            }
        }
    } else
#pragma omp parallel
    {
        std::vector<float> xh(static_cast<size_t>(W));
#pragma omp for schedule(static)
        for (int64_t n = 0; n < N; ++n) {
            const float* xn = X + n * W;
            for (int i = 0; i < k; ++i) {
                float* hi = xh.data() + i * d;
                std::fill(hi, hi + d, 0.0f);
                for (int m = 0; m < k; ++m) {
                    const float pim = P[i * k + m];
                    const float* xm = xn + m * d;
#pragma omp simd
                    for (int64_t c = 0; c < d; ++c) hi[c] += pim * xm[c];
                }
            }
            const float* t = Xt + n * d;
            const float* hj = xh.data() + j * d;
            for (int i = 0; i < k; ++i) {
                const float* hi = xh.data() + i * d;
                float* yi = Y + n * W + i * d;
#pragma omp simd
                for (int64_t c = 0; c < d; ++c) yi[c] = hi[c] + G[i] * (t[c] - hj[c]);
            }
            if (next_j >= 0) std::memcpy(selected.data() + n * d, Y + n * W + next_j * d, sizeof(float) * d);
        }
    }
    // The selected block's node is made after y's (it reads y), so its
    // gradient is complete when y's backward runs and reads it from there.
    auto side = std::make_shared<std::weak_ptr<Node>>();
    Var y = make_result(out, {x, xtilde, p, g, w}, [x, xtilde, p, g, w, k, j, N, W, d, next_j, rep, side](Node& o) {
        float* gy = o.grad.data();  // [N, W], or [N, d] with output weights
        const Var sel = side->lock();
        const float* gs = sel && sel->has_grad() ? sel->grad_buffer().data() : nullptr;
        const float* X = x->value.data();
        const float* Xt = xtilde->value.data();
        const float* P = p->value.data();
        const float* G = g->value.data();
        const float* Wt = w ? w->value.data() : nullptr;
        bool fresh_x = false, fresh_t = false;
        float* dx = detail::grad_to_write(x, fresh_x);  // [N, d] when x is replicated
        float* dxt = detail::grad_to_write(xtilde, fresh_t);
        const bool want_p = p->requires_grad, want_g = g->requires_grad, want_w = w && w->requires_grad;
        // One pass over the tokens: the block gradients row by row, and the
        // k*k + k scalar gradients (and k output weights') as a fixed-order
        // reduction. Within a chunk of tokens the k*k + k sums are kept per
        // column (vertically, in float: every step is an independent vector
        // FMA) and folded into double at the chunk's end; a dot product per
        // token would be a chain of dependent additions, 3-4x slower.
        const int m_pg = k * k + k, m_red = m_pg + (want_w ? k : 0);
        const bool fixed_k = has_fixed_kernels(k);
        if (gs && !fixed_k)  // the generic loops take dy whole: the selected block's gradient added in place
#pragma omp parallel for schedule(static)
            for (int64_t n = 0; n < N; ++n)
                for (int64_t c = 0; c < d; ++c) gy[n * W + next_j * d + c] += gs[n * d + c];
        std::vector<float> red(static_cast<size_t>(m_red), 0.0f);
        // Scratch rows per thread, made once per call (not per chunk); only
        // the column sums are cleared for each chunk.
        const int64_t per_thread = 2 * d + 7 * W + m_pg * d;
        std::vector<float> scratch(static_cast<size_t>(per_thread * omp_get_max_threads()));
        const ForwardRow y_row = fixed_k ? forward_row(k) : nullptr;
        token_reduction(N, m_red, [&](int64_t lo, int64_t hi, double* acc) {
            float* s = scratch.data() + per_thread * omp_get_thread_num();  // sum_i g_i dy_i: to xtilde, and negated to xhat_j
            float* e = s + d;           // xtilde - xhat_j
            float* dh = e + d;          // dxhat_i = dy_i - [i == j] s
            float* xs = dh + W;         // a replicated x's row
            float* dxs = xs + W;        // its gradient's row, before the K blocks are summed
            float* gys = dxs + W;       // dy's row made from the output weights
            float* ys = gys + W;        // y's row again, for the output weights' gradient
            float* dummy = ys + W;      // where an unwanted gradient goes (W + d floats)
            float* col = dummy + 2 * W; // per-column partial sums: dp[i][m] at (i*k+m)*d, dg[i] at (k*k+i)*d
            std::fill(col, col + m_pg * d, 0.0f);
            if (fixed_k) {
                const BackwardRow row = backward_row(k, rep || fresh_x || !dx, fresh_t || !dxt);
                for (int64_t n = lo; n < hi; ++n) {
                    const float* xn = rep ? replicate_row(X + n * d, k, d, xs) : X + n * W;
                    const float* gn;
                    if (w) {  // dy_i = w_i dh
                        for (int i = 0; i < k; ++i)
#pragma omp simd
                            for (int64_t c = 0; c < d; ++c) gys[i * d + c] = Wt[i] * gy[n * d + c];
                        gn = gys;
                    } else {
                        float* g_ = gy + n * W;
                        if (gs)  // the selected block's gradient, added just before the row is read (from L1)
#pragma omp simd
                            for (int64_t c = 0; c < d; ++c) g_[next_j * d + c] += gs[n * d + c];
                        gn = g_;
                    }
                    float* dxn = rep ? dxs : dx ? dx + n * W : dummy;
                    row(gn, xn, Xt + n * d, P, G, j, d, dxn, dxt ? dxt + n * d : dummy + W, col);
                    if (rep && dx) {  // the K blocks' gradients summed, in block order
                        float* de = dx + n * d;
#pragma omp simd
                        for (int64_t c = 0; c < d; ++c) {
                            float v = fresh_x ? 0.0f : de[c];
                            for (int m = 0; m < k; ++m) v += dxs[m * d + c];
                            de[c] = v;
                        }
                    }
                    if (want_w) {  // dw_i = sum_n <dh, y_i>
                        y_row(xn, Xt + n * d, P, G, j, d, ys);
                        for (int i = 0; i < k; ++i) acc[m_pg + i] += kernels::dot(d, gy + n * d, ys + i * d);
                    }
                }
                hi = lo;  // done: skip the generic loop below
            }
            for (int64_t n = lo; n < hi; ++n) {
                const float* gn = gy + n * W;
                const float* xn = X + n * W;
                const float* t = Xt + n * d;
                std::fill(s, s + d, 0.0f);
                for (int i = 0; i < k; ++i)
#pragma omp simd
                    for (int64_t c = 0; c < d; ++c) s[c] += G[i] * gn[i * d + c];
                if (dxt) {
                    if (fresh_t) std::copy(s, s + d, dxt + n * d);
                    else
#pragma omp simd
                        for (int64_t c = 0; c < d; ++c) dxt[n * d + c] += s[c];
                }
                std::copy(gn, gn + W, dh);
#pragma omp simd
                for (int64_t c = 0; c < d; ++c) dh[j * d + c] -= s[c];
                if (dx) {  // dx_m = sum_i p[i][m] dxhat_i
                    for (int m = 0; m < k; ++m) {
                        float* dxm = dx + n * W + m * d;
                        if (fresh_x) std::fill(dxm, dxm + d, 0.0f);
                        for (int i = 0; i < k; ++i) {
                            const float pim = P[i * k + m];
                            const float* dhi = dh + i * d;
#pragma omp simd
                            for (int64_t c = 0; c < d; ++c) dxm[c] += pim * dhi[c];
                        }
                    }
                }
                if (want_p)  // dp[i][m] = sum_n <dxhat_i, x_m>
                    for (int i = 0; i < k; ++i)
                        for (int m = 0; m < k; ++m) {
                            float* cim = col + (i * k + m) * d;
                            const float* dhi = dh + i * d;
                            const float* xm = xn + m * d;
#pragma omp simd
                            for (int64_t c = 0; c < d; ++c) cim[c] += dhi[c] * xm[c];
                        }
                if (want_g) {  // dg[i] = sum_n <dy_i, xtilde - xhat_j>
                    std::copy(t, t + d, e);
                    for (int m = 0; m < k; ++m) {
                        const float pjm = P[j * k + m];
#pragma omp simd
                        for (int64_t c = 0; c < d; ++c) e[c] -= pjm * xn[m * d + c];
                    }
                    for (int i = 0; i < k; ++i) {
                        float* ci = col + (k * k + i) * d;
                        const float* gi = gn + i * d;
#pragma omp simd
                        for (int64_t c = 0; c < d; ++c) ci[c] += gi[c] * e[c];
                    }
                }
            }
            for (int r = 0; r < m_pg; ++r) {
                double a = 0.0;
                for (int64_t c = 0; c < d; ++c) a += col[r * d + c];
                acc[r] += a;
            }
        }, red.data());
        if (float* dp = grad_of(p))
            for (int r = 0; r < k * k; ++r) dp[r] += red[r];
        if (float* dg = grad_of(g))
            for (int i = 0; i < k; ++i) dg[i] += red[k * k + i];
        if (float* dw = want_w ? grad_of(w) : nullptr)
            for (int i = 0; i < k; ++i) dw[i] += red[m_pg + i];
    });
    if (next_j < 0) return {y, nullptr};
    // Its backward only makes sure y's runs (y's gradient may be all zero
    // when nothing else read y): y's backward takes this node's gradient.
    Var sel = make_result(selected, {y}, [](Node& o) { o.inputs[0]->grad_buffer(); });
    *side = sel;
    return {y, sel};
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
