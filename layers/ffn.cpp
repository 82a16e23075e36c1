#include "layers/ffn.hpp"

#include <cmath>

#include "core/ops.hpp"

namespace altup {

FeedForward::FeedForward(ParamStore& store, const std::string& prefix, int64_t d, int64_t d_ff, Activation act,
                         float init_std, int layers, Precision precision)
    : act_(act), precision_(precision) {
    w_in_ = store.add(prefix + ".w_in", {d_ff, d}, Init::normal, init_std);
    b_in_ = store.add(prefix + ".b_in", {d_ff}, Init::zeros, 0, false);
    w_out_ = store.add(prefix + ".w_out", {d, d_ff}, Init::normal, init_std / std::sqrt(2.0f * layers));
    b_out_ = store.add(prefix + ".b_out", {d}, Init::zeros, 0, false);
}

Var FeedForward::forward(const Var& x, Rows rows) const {
    Var h = linear(x, w_in_, b_in_, rows, precision_);
    h = act_ == Activation::gelu ? gelu(h) : relu(h);
    return linear(h, w_out_, b_out_, rows, precision_);
}

}  // namespace altup
