// Position-wise feed-forward: d -> d_ff -> d with GELU or ReLU.
#pragma once
#include <string>

#include "core/ops.hpp"
#include "core/params.hpp"
#include "layers/model_config.hpp"

namespace altup {

class FeedForward {
public:
    // precision: what its products multiply in (train.dtype).
    FeedForward(ParamStore& store, const std::string& prefix, int64_t d, int64_t d_ff, Activation act, float init_std,
                int layers, Precision precision = Precision::f32);
    // [n, d] -> [n, d]; rows: whether n changes from call to call (an MoE expert).
    Var forward(const Var& x, Rows rows = Rows::fixed) const;
private:
    Activation act_;
    Precision precision_;
    Var w_in_, b_in_, w_out_, b_out_;
};

}  // namespace altup
