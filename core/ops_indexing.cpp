// Row lookups and feature-axis reshuffles: embedding, gather/scatter of rows,
// concat / slice / split along the last axis, reshape, heads transpose.
#include <algorithm>
#include <cstring>
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
void check_rows(const std::vector<int32_t>& rows, int64_t limit, const char* op) {
    for (size_t i = 0; i < rows.size(); ++i)
        check(rows[i] >= 0 && rows[i] < limit, std::string(op) + ": index " + std::to_string(rows[i]) + " at position " +
                                                   std::to_string(i) + " is outside [0, " + std::to_string(limit) + ")");
}
}  // namespace

Var gather_rows(const Var& x, const std::vector<int32_t>& rows) {
    profiler::Scope prof_("gather_rows");
    check(x->value.rank() == 2, "gather_rows: expected x [N, d], got " + shape_str(x->value.shape()));
    const int64_t N = x->value.dim(0), d = x->value.dim(1), n = static_cast<int64_t>(rows.size());
    check_rows(rows, N, "gather_rows");
    Tensor out = Tensor::empty({n, d});
    const float* src = x->value.data();
    float* dst = out.data();
#pragma omp parallel for schedule(static) if (n * d > (1 << 16))
    for (int64_t i = 0; i < n; ++i) std::memcpy(dst + i * d, src + rows[i] * d, sizeof(float) * d);
    return make_result(out, {x}, [x, rows, n, d](Node& o) {
        float* dx = grad_of(x);
        if (!dx) return;
        // Scatter-add: rows may repeat, so threads split the columns, not the
        // rows; each column is summed in row order, whatever the thread count.
        const float* g = o.grad.data();
        constexpr int64_t kBlock = 32;
#pragma omp parallel for schedule(static) if (n * d > (1 << 15))
        for (int64_t c0 = 0; c0 < d; c0 += kBlock) {
            const int64_t c1 = std::min(d, c0 + kBlock);
            for (int64_t i = 0; i < n; ++i) {
                const float* src = g + i * d;
                float* dst = dx + int64_t(rows[i]) * d;
                for (int64_t c = c0; c < c1; ++c) dst[c] += src[c];
            }
        }
    });
}

Var embedding(const Var& table, const std::vector<int32_t>& ids) {
    profiler::Scope prof_("embedding");
    return gather_rows(table, ids);
}

Var scatter_add_rows(const Var& src, const std::vector<int32_t>& rows, const Var& weights, int64_t num_rows) {
    profiler::Scope prof_("scatter_add_rows");
    check(src->value.rank() == 2 && src->value.dim(0) == static_cast<int64_t>(rows.size()),
          "scatter_add_rows: expected src [n, d] with n = " + std::to_string(rows.size()) + ", got " + shape_str(src->value.shape()));
    if (weights) check(weights->value.numel() == static_cast<int64_t>(rows.size()), "scatter_add_rows: one weight per row expected");
    check_rows(rows, num_rows, "scatter_add_rows");
    const int64_t n = src->value.dim(0), d = src->value.dim(1);
    Tensor out = Tensor::zeros({num_rows, d});
    const float* s = src->value.data();
    const float* w = weights ? weights->value.data() : nullptr;
    // Distinct target rows (one MoE expert's tokens) can be written in
    // parallel; repeated ones are added in row order on one thread.
    std::vector<char> seen(static_cast<size_t>(num_rows), 0);
    bool distinct = true;
    for (int64_t i = 0; i < n && distinct; ++i) distinct = !std::exchange(seen[rows[i]], 1);
    float* o = out.data();
#pragma omp parallel for schedule(static) if (distinct && n * d > (1 << 15))
    for (int64_t i = 0; i < n; ++i) kernels::axpy(d, w ? w[i] : 1.0f, s + i * d, o + rows[i] * d);
    return make_result(out, {src, weights}, [src, rows, weights, n, d](Node& o) {
        const float* g = o.grad.data();
        const float* w = weights ? weights->value.data() : nullptr;
        bool fresh = false;
        if (float* ds = detail::grad_to_write(src, fresh)) {
#pragma omp parallel for schedule(static) if (n * d > (1 << 15))
            for (int64_t i = 0; i < n; ++i) {
                const float a = w ? w[i] : 1.0f;
                const float* gi = g + rows[i] * d;
                float* di = ds + i * d;
                if (fresh) {
#pragma omp simd
                    for (int64_t c = 0; c < d; ++c) di[c] = a * gi[c];
                } else {
                    kernels::axpy(d, a, gi, di);
                }
            }
        }
        if (float* dw = grad_of(weights)) {
            const float* s = src->value.data();
#pragma omp parallel for schedule(static) if (n * d > (1 << 15))
            for (int64_t i = 0; i < n; ++i) dw[i] += kernels::dot(d, g + rows[i] * d, s + i * d);
        }
    });
}

Var concat(const std::vector<Var>& xs) {
    profiler::Scope prof_("concat");
    check(!xs.empty(), "concat: no inputs");
    const Shape& s0 = xs[0]->value.shape();
    const int64_t rows = xs[0]->value.numel() / s0.back();
    std::vector<int64_t> widths;
    int64_t total = 0;
    for (const auto& x : xs) {
        const Shape& s = x->value.shape();
        check(s.size() == s0.size() && x->value.numel() / s.back() == rows,
              "concat: shape " + shape_str(s) + " does not match " + shape_str(s0) + " outside the last axis");
        widths.push_back(s.back());
        total += s.back();
    }
    Shape out_shape = s0;
    out_shape.back() = total;
    Tensor out = Tensor::empty(out_shape);
    int64_t off = 0;
    for (size_t k = 0; k < xs.size(); ++k) {
        const float* src = xs[k]->value.data();
        const int64_t w = widths[k];
        for (int64_t r = 0; r < rows; ++r) std::memcpy(out.data() + r * total + off, src + r * w, sizeof(float) * w);
        off += w;
    }
    return make_result(out, xs, [xs, widths, rows, total](Node& o) {
        int64_t off = 0;
        for (size_t k = 0; k < xs.size(); ++k) {
            const int64_t w = widths[k];
            bool fresh = false;  // the same input may come K times (Recycled-AltUp): written, then added
            if (float* dx = detail::grad_to_write(xs[k], fresh)) {
                const float* g = o.grad.data() + off;
#pragma omp parallel for schedule(static) if (rows * w > (1 << 16))
                for (int64_t r = 0; r < rows; ++r) {
                    if (fresh) {
                        std::memcpy(dx + r * w, g + r * total, sizeof(float) * w);
                        continue;
                    }
#pragma omp simd
                    for (int64_t c = 0; c < w; ++c) dx[r * w + c] += g[r * total + c];
                }
            }
            off += w;
        }
    });
}

Var slice(const Var& x, int64_t start, int64_t len) {
    profiler::Scope prof_("slice");
    const Shape& s = x->value.shape();
    const int64_t W = s.back(), rows = x->value.numel() / W;
    check(start >= 0 && len >= 0 && start + len <= W,
          "slice: [" + std::to_string(start) + ", " + std::to_string(start + len) + ") outside last axis of " + shape_str(s));
    Shape out_shape = s;
    out_shape.back() = len;
    Tensor out = Tensor::empty(out_shape);
    const float* src = x->value.data();
#pragma omp parallel for schedule(static) if (rows * len > (1 << 16))
    for (int64_t r = 0; r < rows; ++r) std::memcpy(out.data() + r * len, src + r * W + start, sizeof(float) * len);
    return make_result(out, {x}, [x, start, len, W, rows](Node& o) {
        bool fresh = false;
        float* dx = detail::grad_to_write(x, fresh);
        if (!dx) return;
        const float* g = o.grad.data();
#pragma omp parallel for schedule(static) if (rows * len > (1 << 16))
        for (int64_t r = 0; r < rows; ++r) {
            float* d = dx + r * W;
            if (fresh) {  // the columns outside the slice get zeros
                std::fill(d, d + start, 0.0f);
                std::memcpy(d + start, g + r * len, sizeof(float) * len);
                std::fill(d + start + len, d + W, 0.0f);
                continue;
            }
#pragma omp simd
            for (int64_t c = 0; c < len; ++c) d[start + c] += g[r * len + c];
        }
    });
}

Var reshape(const Var& x, const Shape& shape) {
    profiler::Scope prof_("reshape");
    Tensor view = x->value.reshape(shape);
    return make_result(view, {x}, [x](Node& o) {
        if (float* dx = grad_of(x)) kernels::axpy(o.grad.numel(), 1.0f, o.grad.data(), dx);
    });
}

namespace {
// [A, B, C, D] -> [A, C, B, D]; applied twice it is the identity.
void swap12(const float* src, float* dst, int64_t A, int64_t B, int64_t C, int64_t D, bool accumulate) {
#pragma omp parallel for collapse(2) schedule(static) if (A * B * C * D > (1 << 16))
    for (int64_t a = 0; a < A; ++a)
        for (int64_t b = 0; b < B; ++b)
            for (int64_t c = 0; c < C; ++c) {
                const float* s = src + ((a * B + b) * C + c) * D;
                float* t = dst + ((a * C + c) * B + b) * D;
                if (accumulate)
                    for (int64_t e = 0; e < D; ++e) t[e] += s[e];
                else
                    std::memcpy(t, s, sizeof(float) * D);
            }
}
}  // namespace

Var transpose_heads(const Var& x) {
    profiler::Scope prof_("transpose_heads");
    const Shape& s = x->value.shape();
    check(s.size() == 4, "transpose_heads: expected [B, T, H, D], got " + shape_str(s));
    Tensor out = Tensor::empty({s[0], s[2], s[1], s[3]});
    swap12(x->value.data(), out.data(), s[0], s[1], s[2], s[3], false);
    return make_result(out, {x}, [x](Node& o) {
        float* dx = grad_of(x);
        if (!dx) return;
        const Shape& os = o.value.shape();
        swap12(o.grad.data(), dx, os[0], os[1], os[2], os[3], true);
    });
}

}  // namespace altup
