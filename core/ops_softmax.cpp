// softmax on oneDNN's softmax primitive; the causal variant is a fused loop
// (scores above the diagonal never materialise a mask).
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

Var softmax(const Var& x) {
    profiler::Scope prof_("softmax");
    const int64_t cols = x->value.dim(-1), rows = x->value.numel() / cols;
    Tensor out = Tensor::empty(x->value.shape());
    dnn::softmax_forward(x->value.data(), out.data(), rows, cols);
    return make_result(out, {x}, [x, rows, cols](Node& o) {
        if (float* dx = grad_of(x)) {
            Tensor tmp = Tensor::empty(o.value.shape());
            dnn::softmax_backward(o.value.data(), o.grad.data(), tmp.data(), rows, cols);
            kernels::axpy(rows * cols, 1.0f, tmp.data(), dx);
        }
    });
}

Var causal_softmax(const Var& x) {
    profiler::Scope prof_("causal_softmax");
    const Shape& s = x->value.shape();
    check(s.size() >= 2 && s[s.size() - 1] == s[s.size() - 2], "causal_softmax: expected [..., T, T], got " + shape_str(s));
    const int64_t T = s.back(), mats = x->value.numel() / (T * T);
    Tensor out = Tensor::empty(s);
    const float* in = x->value.data();
    float* p = out.data();
#pragma omp parallel for schedule(static)
    for (int64_t r = 0; r < mats * T; ++r) {
        const int64_t i = r % T;  // query position: keys 0..i are visible
        const float* row = in + r * T;
        float* prow = p + r * T;
        const float mx = kernels::max_of(row, i + 1);
        float sum = 0.0f;
        for (int64_t j = 0; j <= i; ++j) { prow[j] = std::exp(row[j] - mx); sum += prow[j]; }
        const float inv = 1.0f / sum;
        for (int64_t j = 0; j <= i; ++j) prow[j] *= inv;
        for (int64_t j = i + 1; j < T; ++j) prow[j] = 0.0f;
    }
    return make_result(out, {x}, [x, T, mats](Node& o) {
        float* dx = grad_of(x);
        if (!dx) return;
        const float* p = o.value.data();
        const float* g = o.grad.data();
#pragma omp parallel for schedule(static)
        for (int64_t r = 0; r < mats * T; ++r) {
            const int64_t i = r % T;
            const float* prow = p + r * T;
            const float* grow = g + r * T;
            float* drow = dx + r * T;
            float dotpg = 0.0f;
            for (int64_t j = 0; j <= i; ++j) dotpg += prow[j] * grow[j];
            for (int64_t j = 0; j <= i; ++j) drow[j] += prow[j] * (grow[j] - dotpg);
        }
    });
}

}  // namespace altup
