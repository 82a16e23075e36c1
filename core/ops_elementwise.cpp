// add / sub / mul / scale with broadcasting over leading dims, and the
// activations (GELU, ReLU and tanh as vectorised loops).
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
            if (fresh) kernels::copy(o.grad.numel(), o.grad.data(), da);
            else kernels::axpy(o.grad.numel(), 1.0f, o.grad.data(), da);
        }
        if (outer == 1 && sb == 1.0f) {  // same shapes: b's gradient is o's, like a's
            if (float* db = detail::grad_to_write(b, fresh)) {
                if (fresh) kernels::copy(inner, o.grad.data(), db);
                else kernels::axpy(inner, 1.0f, o.grad.data(), db);
            }
        } else if (float* db = grad_of(b)) {
            if (sb == 1.0f) {
                kernels::add_column_sums(outer, inner, o.grad.data(), db);
            } else {
                Tensor tmp = Tensor::zeros({inner});
                kernels::add_column_sums(outer, inner, o.grad.data(), tmp.data());
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
// GELU (tanh approximation, as GPT-2 and T5 use) and ReLU as plain vectorised
// loops rather than oneDNN eltwise primitives: a primitive is made per element
// count, and the experts of a mixture-of-experts layer see a new count every
// step (a new JIT kernel each time, and a cache that only grows).
enum class Act { gelu, relu };
constexpr float kGeluC = 0.7978845608028654f;  // sqrt(2 / pi)
constexpr float kGeluA = 0.044715f;
inline float tanh_fast(float u) { return 1.0f - 2.0f / (1.0f + kernels::exp_fast(2.0f * u)); }

template <Act A>
void act_forward(const float* x, float* y, int64_t n) {
#pragma omp parallel for simd schedule(static) if (n > (1 << 15))
    for (int64_t i = 0; i < n; ++i) {
        const float v = x[i];
        if constexpr (A == Act::gelu) y[i] = 0.5f * v * (1.0f + tanh_fast(kGeluC * (v + kGeluA * v * v * v)));
        else y[i] = v > 0.0f ? v : 0.0f;
    }
}

// dx = g * act'(x), written (fresh gradient buffer) or added.
template <Act A, bool Add>
void act_backward(const float* x, const float* g, float* dx, int64_t n) {
#pragma omp parallel for simd schedule(static) if (n > (1 << 15))
    for (int64_t i = 0; i < n; ++i) {
        const float v = x[i];
        float d;
        if constexpr (A == Act::gelu) {
            const float t = tanh_fast(kGeluC * (v + kGeluA * v * v * v));
            d = 0.5f * (1.0f + t) + 0.5f * v * (1.0f - t * t) * kGeluC * (1.0f + 3.0f * kGeluA * v * v);
        } else {
            d = v > 0.0f ? 1.0f : 0.0f;
        }
        if constexpr (Add) dx[i] += g[i] * d;
        else dx[i] = g[i] * d;
    }
}

template <Act A>
Var activation(const Var& x) {
    const int64_t n = x->value.numel();
    Tensor out = Tensor::empty(x->value.shape());
    act_forward<A>(x->value.data(), out.data(), n);
    return make_result(out, {x}, [x, n](Node& o) {
        bool fresh = false;
        float* dx = detail::grad_to_write(x, fresh);
        if (!dx) return;
        if (fresh) act_backward<A, false>(x->value.data(), o.grad.data(), dx, n);
        else act_backward<A, true>(x->value.data(), o.grad.data(), dx, n);
    });
}
}  // namespace

Var gelu(const Var& x) {
    profiler::Scope prof_("gelu");
    return activation<Act::gelu>(x);
}
Var relu(const Var& x) {
    profiler::Scope prof_("relu");
    return activation<Act::relu>(x);
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
