// softmax on oneDNN's softmax primitive (attention masks and normalises its
// scores inside ops_attention.cpp).
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

}  // namespace altup
