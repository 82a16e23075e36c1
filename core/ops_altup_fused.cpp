// AltUp's predict-and-correct fused (docs/altup.md): altup_correct(altup_predict(x))
// in one pass over a token's K blocks forward and one backward, the
// prediction recomputed, never stored. The readable composed ops are in
// ops_altup.cpp; this file must give their bits (the fused-equals-composed
// tests hold the two equal). Blocks are token-major: x [N, K*d].
#include <omp.h>

#include <algorithm>
#include <cstring>
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

namespace {

// What one call computes: the shapes and the fusions asked for.
struct FusedShape {
    int k = 0, j = 0;       // K blocks; the layer ran on block j
    int64_t N = 0, d = 0, W = 0;  // tokens, block width, K*d
    int next_j = -1;        // the block also returned on its own, or -1
    bool replicated = false;  // x is one block standing for K equal ones
    bool summed = false;      // the output is sum_i w_i y_i, y never written
    int scalars() const { return k * k + k; }  // p's and g's gradients
};

// The inputs' values.
struct FusedValues {
    const float* x = nullptr;
    const float* xtilde = nullptr;
    const float* p = nullptr;
    const float* g = nullptr;
    const float* w = nullptr;  // output weights (summed), else null
};

// ---- the rows for K known at compile time (2, 3, 4: the usual ones) --------

// The forward for one token row: one pass over the columns, the K blocks in
// registers; the same operations in the same order as the composed ops.
template <int K>
void forward_row_k(const float* xn, const float* t, const float* P, const float* G, int j, int64_t d, float* yn) {
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

// The backward for one token row, a single pass over the columns with the K
// blocks' values in registers. It writes (fresh) or adds to dx and dxt, and
// adds the per-column terms of dp[i][m] (at col + (i*K+m)*d) and dg[i] (at
// col + (K*K+i)*d). Same arithmetic as the generic rows below.
template <int K, bool FreshX, bool FreshT>
void backward_row_k(const float* gn, const float* xn, const float* t, const float* P, const float* G, int j, int64_t d,
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
ForwardRow forward_row(int k) { return k == 2 ? forward_row_k<2> : k == 3 ? forward_row_k<3> : forward_row_k<4>; }
BackwardRow backward_row(int k, bool fresh_x, bool fresh_t) {
    static constexpr BackwardRow rows[3][4] = {
        {backward_row_k<2, false, false>, backward_row_k<2, false, true>, backward_row_k<2, true, false>, backward_row_k<2, true, true>},
        {backward_row_k<3, false, false>, backward_row_k<3, false, true>, backward_row_k<3, true, false>, backward_row_k<3, true, true>},
        {backward_row_k<4, false, false>, backward_row_k<4, false, true>, backward_row_k<4, true, false>, backward_row_k<4, true, true>}};
    return rows[k - 2][2 * fresh_x + fresh_t];
}

// One token's K equal blocks (a replicated input) written out in `row`.
const float* replicate_row(const float* e, int k, int64_t d, float* row) {
    for (int i = 0; i < k; ++i) std::memcpy(row + i * d, e, sizeof(float) * d);
    return row;
}

// ---- forward ---------------------------------------------------------------

// Per token: xhat_i = sum_m p[i][m] x_m (altup_predict's order), then
// y_i = xhat_i + g_i (xtilde - xhat_j) as altup_correct. A replicated x is
// spread into a row, and with output weights y's row is summed where it is
// made (altup_block_sum's order), never written out.
void forward_fixed_k(const FusedShape& s, const FusedValues& v, float* out, float* selected) {
    const ForwardRow row = forward_row(s.k);
    const int64_t d = s.d, W = s.W;
#pragma omp parallel
    {
        std::vector<float> xs(s.replicated ? W : 0), ys(s.summed ? W : 0);
#pragma omp for schedule(static)
        for (int64_t n = 0; n < s.N; ++n) {
            const float* xn = s.replicated ? replicate_row(v.x + n * d, s.k, d, xs.data()) : v.x + n * W;
            float* yn = s.summed ? ys.data() : out + n * W;
            row(xn, v.xtilde + n * d, v.p, v.g, s.j, d, yn);
            if (selected) std::memcpy(selected + n * d, yn + s.next_j * d, sizeof(float) * d);  // still in L1
            if (s.summed) block_sum_row(yn, v.w, s.k, d, out + n * d);
        }
    }
}

// Any K, block by block (x whole, y written whole).
void forward_generic(const FusedShape& s, const FusedValues& v, float* out, float* selected) {
    const int k = s.k;
    const int64_t d = s.d, W = s.W;
#pragma omp parallel
    {
        std::vector<float> xh(static_cast<size_t>(W));
#pragma omp for schedule(static)
        for (int64_t n = 0; n < s.N; ++n) {
            const float* xn = v.x + n * W;
            for (int i = 0; i < k; ++i) {
                float* hi = xh.data() + i * d;
                std::fill(hi, hi + d, 0.0f);
                for (int m = 0; m < k; ++m) {
                    const float pim = v.p[i * k + m];
                    const float* xm = xn + m * d;
#pragma omp simd
                    for (int64_t c = 0; c < d; ++c) hi[c] += pim * xm[c];
                }
            }
            const float* t = v.xtilde + n * d;
            const float* hj = xh.data() + s.j * d;
            for (int i = 0; i < k; ++i) {
                const float* hi = xh.data() + i * d;
                float* yi = out + n * W + i * d;
#pragma omp simd
                for (int64_t c = 0; c < d; ++c) yi[c] = hi[c] + v.g[i] * (t[c] - hj[c]);
            }
            if (selected) std::memcpy(selected + n * d, out + n * W + s.next_j * d, sizeof(float) * d);
        }
    }
}

// ---- backward --------------------------------------------------------------

// Where the backward writes: the block gradients (null when not wanted;
// `fresh` says write, not add) and which scalar gradients are wanted.
struct FusedGradients {
    const float* dy = nullptr;  // [N, W], or [N, d] when summed
    float* dx = nullptr;        // [N, d] when x is replicated
    float* dxtilde = nullptr;
    bool fresh_x = false, fresh_t = false;
    bool want_p = false, want_g = false, want_w = false;
    // The reduction's slots: the k*k + k scalars of p and g, then w's k.
    int reduced(const FusedShape& s) const { return s.scalars() + (want_w ? s.k : 0); }
};

// One thread's rows, laid out once per call in a pooled tensor.
struct BackwardRows {
    float* sum;    // sum_i g_i dy_i: to xtilde, and negated to xhat_j      [d]
    float* e;      // xtilde - xhat_j                                        [d]
    float* dh;     // dxhat_i = dy_i - [i == j] s                            [W]
    float* xs;     // a replicated x's row                                   [W]
    float* dxs;    // its gradient's row, before the K blocks are summed     [W]
    float* gys;    // dy's row made from the output weights                  [W]
    float* ys;     // y's row again, for the output weights' gradient        [W]
    float* unused; // where an unwanted gradient goes                        [W + d]
    float* col;    // per-column partial sums: dp[i][m] at (i*k+m)*d, dg[i] at (k*k+i)*d
    static int64_t floats(const FusedShape& s) { return 2 * s.d + 5 * s.W + (s.W + s.d) + s.scalars() * s.d; }
    BackwardRows(float* base, const FusedShape& s)
        : sum(base), e(base + s.d), dh(e + s.d), xs(dh + s.W), dxs(xs + s.W), gys(dxs + s.W), ys(gys + s.W),
          unused(ys + s.W), col(unused + s.W + s.d) {}
};

// Tokens [lo, hi) with the fixed-K rows: block gradients row by row, the
// scalars' terms into rows.col, the output weights' straight into acc.
void backward_tokens_fixed_k(int64_t lo, int64_t hi, const FusedShape& s, const FusedValues& v, const FusedGradients& gr,
                             const BackwardRows& rows, double* acc) {
    const int k = s.k;
    const int64_t d = s.d, W = s.W;
    const BackwardRow row = backward_row(k, s.replicated || gr.fresh_x || !gr.dx, gr.fresh_t || !gr.dxtilde);
    const ForwardRow y_row = forward_row(k);
    for (int64_t n = lo; n < hi; ++n) {
        const float* xn = s.replicated ? replicate_row(v.x + n * d, k, d, rows.xs) : v.x + n * W;
        const float* gn;
        if (s.summed) {  // dy_i = w_i dout: dy itself is [N, d]
            for (int i = 0; i < k; ++i)
#pragma omp simd
                for (int64_t c = 0; c < d; ++c) rows.gys[i * d + c] = v.w[i] * gr.dy[n * d + c];
            gn = rows.gys;
        } else {
            gn = gr.dy + n * W;
        }
        float* dxn = s.replicated ? rows.dxs : gr.dx ? gr.dx + n * W : rows.unused;
        row(gn, xn, v.xtilde + n * d, v.p, v.g, s.j, d, dxn, gr.dxtilde ? gr.dxtilde + n * d : rows.unused + W, rows.col);
        if (s.replicated && gr.dx) {  // the K blocks' gradients summed, in block order
            float* de = gr.dx + n * d;
#pragma omp simd
            for (int64_t c = 0; c < d; ++c) {
                float val = gr.fresh_x ? 0.0f : de[c];
                for (int m = 0; m < k; ++m) val += rows.dxs[m * d + c];
                de[c] = val;
            }
        }
        if (gr.want_w) {  // dw_i = sum_n <dout, y_i>
            y_row(xn, v.xtilde + n * d, v.p, v.g, s.j, d, rows.ys);
            for (int i = 0; i < k; ++i) acc[s.scalars() + i] += kernels::dot(d, gr.dy + n * d, rows.ys + i * d);
        }
    }
}

// Tokens [lo, hi) for any K, block by block (x whole, dy whole).
void backward_tokens_generic(int64_t lo, int64_t hi, const FusedShape& s, const FusedValues& v, const FusedGradients& gr,
                             const BackwardRows& rows) {
    const int k = s.k, j = s.j;
    const int64_t d = s.d, W = s.W;
    for (int64_t n = lo; n < hi; ++n) {
        const float* gn = gr.dy + n * W;
        const float* xn = v.x + n * W;
        const float* t = v.xtilde + n * d;
        float* sum = rows.sum;
        std::fill(sum, sum + d, 0.0f);
        for (int i = 0; i < k; ++i)
#pragma omp simd
            for (int64_t c = 0; c < d; ++c) sum[c] += v.g[i] * gn[i * d + c];
        if (float* dxt = gr.dxtilde) {
            if (gr.fresh_t) std::copy(sum, sum + d, dxt + n * d);
            else
#pragma omp simd
                for (int64_t c = 0; c < d; ++c) dxt[n * d + c] += sum[c];
        }
        float* dh = rows.dh;
        std::copy(gn, gn + W, dh);
#pragma omp simd
        for (int64_t c = 0; c < d; ++c) dh[j * d + c] -= sum[c];
        if (gr.dx) {  // dx_m = sum_i p[i][m] dxhat_i
            for (int m = 0; m < k; ++m) {
                float* dxm = gr.dx + n * W + m * d;
                if (gr.fresh_x) std::fill(dxm, dxm + d, 0.0f);
                for (int i = 0; i < k; ++i) {
                    const float pim = v.p[i * k + m];
                    const float* dhi = dh + i * d;
#pragma omp simd
                    for (int64_t c = 0; c < d; ++c) dxm[c] += pim * dhi[c];
                }
            }
        }
        if (gr.want_p)  // dp[i][m] = sum_n <dxhat_i, x_m>
            for (int i = 0; i < k; ++i)
                for (int m = 0; m < k; ++m) {
                    float* cim = rows.col + (i * k + m) * d;
                    const float* dhi = dh + i * d;
                    const float* xm = xn + m * d;
#pragma omp simd
                    for (int64_t c = 0; c < d; ++c) cim[c] += dhi[c] * xm[c];
                }
        if (gr.want_g) {  // dg[i] = sum_n <dy_i, xtilde - xhat_j>
            float* e = rows.e;
            std::copy(t, t + d, e);
            for (int m = 0; m < k; ++m) {
                const float pjm = v.p[j * k + m];
#pragma omp simd
                for (int64_t c = 0; c < d; ++c) e[c] -= pjm * xn[m * d + c];
            }
            for (int i = 0; i < k; ++i) {
                float* ci = rows.col + (k * k + i) * d;
                const float* gi = gn + i * d;
#pragma omp simd
                for (int64_t c = 0; c < d; ++c) ci[c] += gi[c] * e[c];
            }
        }
    }
}

// One pass over the tokens: the block gradients row by row, and the k*k + k
// scalar gradients (and k output weights') as a fixed-order reduction. Within
// a chunk of tokens the k*k + k sums are kept per column (vertically, in
// float: every step is an independent vector FMA) and folded into double at
// the chunk's end; a dot product per token would be a chain of dependent
// additions, 3-4x slower.
void fused_backward(const FusedShape& s, const FusedValues& v, const FusedGradients& gr, float* dp, float* dg, float* dw) {
    const int m_pg = s.scalars();
    const int64_t per_thread = BackwardRows::floats(s);
    Tensor scratch = Tensor::empty({per_thread * omp_get_max_threads()});
    std::vector<float> reduced(static_cast<size_t>(gr.reduced(s)), 0.0f);
    const bool fixed_k = has_fixed_kernels(s.k);
    token_reduction(s.N, gr.reduced(s), [&](int64_t lo, int64_t hi, double* acc) {
        const BackwardRows rows(scratch.data() + per_thread * omp_get_thread_num(), s);
        std::fill(rows.col, rows.col + m_pg * s.d, 0.0f);
        if (fixed_k) backward_tokens_fixed_k(lo, hi, s, v, gr, rows, acc);
        else backward_tokens_generic(lo, hi, s, v, gr, rows);
        for (int r = 0; r < m_pg; ++r) {
            double a = 0.0;
            for (int64_t c = 0; c < s.d; ++c) a += rows.col[r * s.d + c];
            acc[r] += a;
        }
    }, reduced.data());
    if (dp)
        for (int r = 0; r < s.k * s.k; ++r) dp[r] += reduced[r];
    if (dg)
        for (int i = 0; i < s.k; ++i) dg[i] += reduced[s.k * s.k + i];
    if (dw)
        for (int i = 0; i < s.k; ++i) dw[i] += reduced[m_pg + i];
}

// The selected block's gradient, added to y's block next_j.
void add_block_gradient(const FusedShape& s, const float* dsel, float* dy) {
#pragma omp parallel for schedule(static)
    for (int64_t n = 0; n < s.N; ++n) {
        float* g = dy + n * s.W + s.next_j * s.d;
        const float* b = dsel + n * s.d;
#pragma omp simd
        for (int64_t c = 0; c < s.d; ++c) g[c] += b[c];
    }
}

}  // namespace

Var altup_predict_correct(const Var& x, const Var& xtilde, const Var& p, const Var& g, int k, int j) {
    return altup_predict_correct_fused(x, xtilde, p, g, k, j, {}).y;
}

AltUpFused altup_predict_correct_fused(const Var& x, const Var& xtilde, const Var& p, const Var& g, int k, int j,
                                       const AltUpFusion& fuse) {
    profiler::Scope prof_("altup_predict_correct");
    const Var w = fuse.out_weights;
    FusedShape s;
    s.k = k;
    s.j = j;
    s.d = xtilde->value.dim(-1);
    s.N = xtilde->value.numel() / s.d;
    s.W = int64_t(k) * s.d;
    s.next_j = fuse.next_j;
    s.replicated = fuse.x_replicated;
    s.summed = bool(w);
    const int64_t x_width = s.replicated ? s.d : s.W;
    check(k >= 1 && j >= 0 && j < k && p->value.numel() == int64_t(k) * k && g->value.numel() == k &&
              x->value.numel() == s.N * x_width && x->value.dim(-1) == x_width,
          "altup_predict_correct: x " + shape_str(x->value.shape()) + (s.replicated ? " (one block for all K)" : "") +
              ", xtilde " + shape_str(xtilde->value.shape()) + ", p " + shape_str(p->value.shape()) + ", g " +
              shape_str(g->value.shape()) + " do not fit K=" + std::to_string(k) + ", j=" + std::to_string(j));
    check(s.next_j >= -1 && s.next_j < k && (!w || (w->value.numel() == k && s.next_j < 0)),
          "altup_predict_correct: block " + std::to_string(s.next_j) + " to select, output weights " +
              (w ? shape_str(w->value.shape()) : std::string("none")) + ", K=" + std::to_string(k) +
              " (a block is selected only when y itself is the output)");
    if (!has_fixed_kernels(k) && (s.replicated || s.summed)) {  // the generic rows read x and write y whole: composed
        AltUpFusion select_only;
        select_only.next_j = s.next_j;
        AltUpFused r = altup_predict_correct_fused(s.replicated ? concat(std::vector<Var>(k, x)) : x, xtilde, p, g, k, j,
                                                   select_only);
        return s.summed ? AltUpFused{altup_block_sum(r.y, w, k), nullptr} : r;
    }
    Shape out_shape = xtilde->value.shape();
    if (!s.summed) out_shape.back() = s.W;
    Tensor out = Tensor::empty(out_shape);
    Tensor selected = s.next_j >= 0 ? Tensor::empty({s.N, s.d}) : Tensor();
    const FusedValues v{x->value.data(), xtilde->value.data(), p->value.data(), g->value.data(),
                        w ? w->value.data() : nullptr};
    if (has_fixed_kernels(k)) forward_fixed_k(s, v, out.data(), selected.defined() ? selected.data() : nullptr);
    else forward_generic(s, v, out.data(), selected.defined() ? selected.data() : nullptr);

    Var y = make_result(out, {x, xtilde, p, g, w}, [x, xtilde, p, g, w, s](Node& o) {
        FusedGradients gr;
        gr.dy = o.grad.data();
        gr.dx = detail::grad_to_write(x, gr.fresh_x);
        gr.dxtilde = detail::grad_to_write(xtilde, gr.fresh_t);
        gr.want_p = p->requires_grad;
        gr.want_g = g->requires_grad;
        gr.want_w = w && w->requires_grad;
        const FusedValues v{x->value.data(), xtilde->value.data(), p->value.data(), g->value.data(),
                            w ? w->value.data() : nullptr};
        fused_backward(s, v, gr, grad_of(p), grad_of(g), gr.want_w ? grad_of(w) : nullptr);
    });
    if (s.next_j < 0) return {y, nullptr};
    // The selected block reads y, so its node comes after y's on the tape and
    // its backward runs first: it adds its gradient to y's block next_j (as a
    // slice's backward would), and y's backward then finds its gradient whole.
    Var block = make_result(selected, {y}, [s](Node& o) {
        add_block_gradient(s, o.grad_buffer().data(), o.inputs[0]->grad_buffer().data());
    });
    return {y, block};
}

}  // namespace altup
