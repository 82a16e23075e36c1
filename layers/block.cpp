#include "layers/block.hpp"

#include "core/ops.hpp"

namespace altup {

TransformerBlock::TransformerBlock(ParamStore& store, const std::string& prefix, const BlockShape& s,
                                   const ModelConfig& cfg, bool use_moe, Precision precision)
    : norm1_(store, prefix + ".norm1", s.d, cfg.norm),
      norm2_(store, prefix + ".norm2", s.d, cfg.norm),
      attn_(store, prefix + ".attn", s.d, s.heads, float(cfg.init_std), cfg.layers, precision) {
    if (use_moe)
        moe_ = std::make_unique<MixtureOfExperts>(store, prefix + ".moe", s.d, s.d_ff, cfg.activation, cfg.moe,
                                                  float(cfg.init_std), cfg.layers, precision);
    else
        ffn_ = std::make_unique<FeedForward>(store, prefix + ".ffn", s.d, s.d_ff, cfg.activation, float(cfg.init_std),
                                             cfg.layers, precision);
}

Var TransformerBlock::forward(const Var& x, int64_t B, int64_t T, Var* aux) {
    Var h = add(x, attn_.forward(norm1_.forward(x), B, T));
    Var n = norm2_.forward(h);
    return add(h, moe_ ? moe_->forward(n, aux) : ffn_->forward(n));
}

}  // namespace altup
