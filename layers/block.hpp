// Pre-norm transformer block: h = x + Attn(Norm(x)); y = h + FFN(Norm(h)),
// with a dense FFN or a Mixture-of-Experts.
#pragma once
#include <memory>
#include <string>

#include "layers/attention.hpp"
#include "layers/ffn.hpp"
#include "layers/moe.hpp"
#include "layers/norm.hpp"

namespace altup {

struct BlockShape {
    int64_t d, heads, d_ff;
};

class TransformerBlock {
public:
    TransformerBlock(ParamStore& store, const std::string& prefix, const BlockShape& shape, const ModelConfig& cfg,
                     bool use_moe, Precision precision = Precision::f32);
    // x [B*T, d] -> [B*T, d]; MoE blocks add their auxiliary loss to *aux.
    Var forward(const Var& x, int64_t B, int64_t T, Var* aux);
    MixtureOfExperts* moe() { return moe_.get(); }
private:
    Norm norm1_, norm2_;
    CausalSelfAttention attn_;
    std::unique_ptr<FeedForward> ffn_;
    std::unique_ptr<MixtureOfExperts> moe_;
};

}  // namespace altup
