// Causal multi-head self-attention: H heads of width d/H, scaled dot product,
// keys after the query masked. q, k and v are separate named parameters that
// sit next to each other in the flat buffer, so the forward runs them as one
// [3d, d] projection.
#pragma once
#include <string>

#include "core/choices.hpp"
#include "core/params.hpp"

namespace altup {

class CausalSelfAttention {
public:
    // precision: what its products multiply in (train.dtype).
    CausalSelfAttention(ParamStore& store, const std::string& prefix, int64_t d, int64_t heads, float init_std,
                        int layers, Precision precision = Precision::f32);
    // x [B*T, d] -> [B*T, d]
    Var forward(const Var& x, int64_t B, int64_t T);
private:
    ParamStore& store_;
    int64_t d_, heads_;
    Precision precision_;
    Var q_w_, q_b_, o_w_, o_b_;
    Var qkv_w_, qkv_b_;  // fused views over q, k, v (made after finalize)
};

// A leaf covering `count` consecutive parameters starting at `first`, sharing
// their data and gradient memory (they must be adjacent in the flat buffer).
Var fused_parameter_view(const ParamStore& store, const Var& first, int64_t rows_total);

}  // namespace altup
