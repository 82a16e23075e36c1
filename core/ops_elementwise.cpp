// add / sub / mul / scale with broadcasting over leading dims, and the
// activations (GELU and ReLU on oneDNN eltwise; tanh as a loop).
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
// b broadcasts over a's leading dims when b's shape is a suffix of a's.
int64_t broadcast_inner(const Var& a, const Var& b, const char* op) {
    const Shape& as = a->value.shape();
    const Shape& bs = b->value.shape();
    bool ok = bs.size() <= as.size();
    for (size_t i = 0; ok && i < bs.size(); ++i) ok = bs[bs.size() - 1 - i] == as[as.size() - 1 - i];
    check(ok, std::string(op) + ": shape " + shape_str(bs) + " does not broadcast to " + shape_str(as));
    return b->value.numel();
}

// Sum the rows of g [outer, inner] into db [inner]; threads split the columns.
void reduce_rows_into(const float* g, float* db, int64_t outer, int64_t inner) {
    if (outer == 1) { kernels::axpy(inner, 1.0f, g, db); return; }
#pragma omp parallel for schedule(static) if (inner * outer > (1 << 16))
    for (int64_t c = 0; c < inner; ++c) {
        float acc = 0.0f;
        for (int64_t r = 0; r < outer; ++r) acc += g[r * inner + c];
        db[c] += acc;
    }
}

Var add_scaled(const Var& a, const Var& b, float sb, const char* op) {
    const int64_t inner = broadcast_inner(a, b, op);
    const int64_t n = a->value.numel(), outer = n / inner;
    Tensor out = Tensor::empty(a->value.shape());
    const float* x = a->value.data();
    const float* y = b->value.data();
    float* z = out.data();
#pragma omp parallel for schedule(static) if (n > (1 << 16))
    for (int64_t r = 0; r < outer; ++r)
        for (int64_t c = 0; c < inner; ++c) z[r * inner + c] = x[r * inner + c] + sb * y[c];
    return make_result(out, {a, b}, [a, b, inner, outer, sb](Node& o) {
        bool fresh = false;
        if (float* da = detail::grad_to_write(a, fresh)) {
            if (fresh) std::copy(o.grad.data(), o.grad.data() + o.grad.numel(), da);
            else kernels::axpy(o.grad.numel(), 1.0f, o.grad.data(), da);
        }
        if (float* db = grad_of(b)) {
            if (sb == 1.0f) {
                reduce_rows_into(o.grad.data(), db, outer, inner);
            } else {
                Tensor tmp = Tensor::zeros({inner});
                reduce_rows_into(o.grad.data(), tmp.data(), outer, inner);
                kernels::axpy(inner, sb, tmp.data(), db);
            }
        }
    });
}
}  // namespace

Var add(const Var& a, const Var& b) {
    profiler::Scope prof_("add");
    return add_scaled(a, b, 1.0f, "add");
}
Var sub(const Var& a, const Var& b) {
    profiler::Scope prof_("sub");
    return add_scaled(a, b, -1.0f, "sub");
}

Var mul(const Var& a, const Var& b) {
    profiler::Scope prof_("mul");
    const int64_t inner = broadcast_inner(a, b, "mul");
    const int64_t n = a->value.numel(), outer = n / inner;
    Tensor out = Tensor::empty(a->value.shape());
    const float* x = a->value.data();
    const float* y = b->value.data();
    float* z = out.data();
#pragma omp parallel for schedule(static) if (n > (1 << 16))
    for (int64_t r = 0; r < outer; ++r)
        for (int64_t c = 0; c < inner; ++c) z[r * inner + c] = x[r * inner + c] * y[c];
    return make_result(out, {a, b}, [a, b, inner, outer](Node& o) {
        const float* g = o.grad.data();
        const float* x = a->value.data();
        const float* y = b->value.data();
        if (float* da = grad_of(a)) {
#pragma omp parallel for schedule(static) if (outer * inner > (1 << 16))
            for (int64_t r = 0; r < outer; ++r)
                for (int64_t c = 0; c < inner; ++c) da[r * inner + c] += g[r * inner + c] * y[c];
        }
        if (float* db = grad_of(b)) {
#pragma omp parallel for schedule(static) if (outer * inner > (1 << 16))
            for (int64_t c = 0; c < inner; ++c) {
                float acc = 0.0f;
                for (int64_t r = 0; r < outer; ++r) acc += g[r * inner + c] * x[r * inner + c];
                db[c] += acc;
            }
        }
    });
}

Var scale(const Var& a, float s) {
    profiler::Scope prof_("scale");
    Tensor out = a->value.clone();
    kernels::scale(out.numel(), s, out.data());
    return make_result(out, {a}, [a, s](Node& o) {
        if (float* da = grad_of(a)) kernels::axpy(o.grad.numel(), s, o.grad.data(), da);
    });
}

namespace {
Var activation(const Var& x, dnn::Eltwise alg) {
    const int64_t n = x->value.numel();
    Tensor out = Tensor::empty(x->value.shape());
    dnn::eltwise_forward(alg, x->value.data(), out.data(), n);
    return make_result(out, {x}, [x, alg, n](Node& o) {
        bool fresh = false;
        float* dx = detail::grad_to_write(x, fresh);
        if (!dx) return;
        if (fresh) {
            dnn::eltwise_backward(alg, x->value.data(), o.grad.data(), dx, n);
            return;
        }
        Tensor tmp = Tensor::empty(x->value.shape());
        dnn::eltwise_backward(alg, x->value.data(), o.grad.data(), tmp.data(), n);
        kernels::axpy(n, 1.0f, tmp.data(), dx);
    });
}
}  // namespace

Var gelu(const Var& x) {
    profiler::Scope prof_("gelu");
    return activation(x, dnn::Eltwise::gelu_tanh);
}
Var relu(const Var& x) {
    profiler::Scope prof_("relu");
    return activation(x, dnn::Eltwise::relu);
}

Var tanh(const Var& x) {
    profiler::Scope prof_("tanh");
    const int64_t n = x->value.numel();
    Tensor out = Tensor::empty(x->value.shape());
    const float* in = x->value.data();
    float* y = out.data();
    for (int64_t i = 0; i < n; ++i) y[i] = std::tanh(in[i]);
    return make_result(out, {x}, [x, n](Node& o) {
        if (float* dx = grad_of(x)) {
            const float* y = o.value.data();
            const float* g = o.grad.data();
            for (int64_t i = 0; i < n; ++i) dx[i] += g[i] * (1.0f - y[i] * y[i]);
        }
    });
}


Var clamp(const Var& x, float lo, float hi) {
    profiler::Scope prof_("clamp");
    const int64_t n = x->value.numel();
    Tensor out = Tensor::empty(x->value.shape());
    const float* in = x->value.data();
    for (int64_t i = 0; i < n; ++i) out.data()[i] = std::min(std::max(in[i], lo), hi);
    return make_result(out, {x}, [x, n, lo, hi](Node& o) {
        float* dx = detail::grad_of(x);
        if (!dx) return;
        const float* in = x->value.data();
        for (int64_t i = 0; i < n; ++i)
            if (in[i] > lo && in[i] < hi) dx[i] += o.grad.data()[i];
    });
}

}  // namespace altup
