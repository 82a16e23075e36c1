// Full reductions to a scalar. Summation in double, in a fixed order.
#include "core/op_util.hpp"
#include "core/ops.hpp"
#include "core/profiler.hpp"

namespace altup {
using detail::grad_of;

namespace {
Var reduce_all(const Var& x, bool average) {
    const int64_t n = x->value.numel();
    const float* v = x->value.data();
    double s = 0.0;
    for (int64_t i = 0; i < n; ++i) s += v[i];
    const float factor = average ? 1.0f / static_cast<float>(n) : 1.0f;
    Tensor out = Tensor::full({1}, static_cast<float>(s) * factor);
    return make_result(out, {x}, [x, n, factor](Node& o) {
        float* dx = grad_of(x);
        if (!dx) return;
        const float g = o.grad.data()[0] * factor;
        for (int64_t i = 0; i < n; ++i) dx[i] += g;
    });
}
}  // namespace

Var sum(const Var& x) {
    profiler::Scope prof_("sum");
    return reduce_all(x, false);
}
Var mean(const Var& x) {
    profiler::Scope prof_("mean");
    return reduce_all(x, true);
}

}  // namespace altup
