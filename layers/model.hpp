// The language model: embeddings -> N blocks (plain, AltUp, Recycled-AltUp,
// Sequence-AltUp; dense FFN or MoE) -> final norm -> head -> cross-entropy
// (+ MoE auxiliary loss). Built entirely from a ModelConfig.
#pragma once
#include <memory>
#include <vector>

#include "core/params.hpp"
#include "layers/altup.hpp"
#include "layers/block.hpp"
#include "layers/model_config.hpp"

namespace altup {

struct ParamCounts {
    int64_t total = 0;
    int64_t embedding = 0;       // embed.*
    int64_t non_embedding = 0;   // everything else, the head included
    int64_t altup_scalars = 0;   // predict + correct (+ sequence-AltUp coefficients)
    int64_t altup_scalars_per_layer = 0;
};

struct ModelOutput {
    Var loss;    // cross-entropy + aux_loss coefficient * aux
    Var ce;      // mean next-token cross-entropy
    Var aux;     // summed MoE load-balancing loss (null without MoE)
    Var logits;  // [B*T, V]
    Var hidden;  // the final representation before the norm: [B*T, K*d] or [B*T, d]
};

class LanguageModel {
public:
    // Registers and initialises every parameter from `seed`.
    LanguageModel(const ModelConfig& cfg, uint64_t seed);
    // ids/targets: B*T tokens each (targets may hold -100 = ignore).
    ModelOutput forward(const std::vector<int32_t>& ids, const std::vector<int32_t>& targets, int64_t B, int64_t T);
    // What the model feeds its LM head: the final norm of the (reduced)
    // representation, [B*T, output_width()]. Downstream task heads read it.
    // `aux` receives the summed MoE load-balancing loss (stays null without MoE).
    Var features(const std::vector<int32_t>& ids, int64_t B, int64_t T, Var* aux = nullptr, Var* hidden = nullptr);
    int64_t output_width() const;

    // Train / eval mode. Eval changes routing only: MoE layers drop no token.
    // (There is no dropout; gradients are turned off with NoGradGuard.)
    void set_training(bool training);
    bool training() const { return training_; }

    ParamStore& params() { return store_; }
    const ParamStore& params() const { return store_; }
    ParamCounts param_counts() const;
    const ModelConfig& config() const { return cfg_; }
    // Widths after width_mult: the block width d and the representation K*d.
    int64_t block_width() const { return d_; }
    int64_t representation_width() const { return d_ * k_; }
    // Forward matmul FLOPs per token (2 per multiply-add), counted analytically;
    // a training step costs about 3x this per token.
    double forward_flops_per_token(int64_t T) const;
    TransformerBlock& block(int l) { return *blocks_[l]; }

    // Forces plain-AltUp machinery even at K = 1 (tests: K = 1 must equal the baseline).
    static ModelConfig force_altup_k1(ModelConfig cfg);

private:
    // The (widened) input of the first layer; Recycled-AltUp's carries its
    // block, the embedding itself, so that layer needs no slice.
    Widened embed(const std::vector<int32_t>& ids, int64_t B, int64_t T);
    Var output_reduce(const Var& h) const;

    ModelConfig cfg_;
    int64_t d_, heads_, d_ff_, k_;
    bool altup_on_;
    bool training_ = true;
    ParamStore store_;
    Var tok_, pos_, head_;
    std::vector<std::unique_ptr<TransformerBlock>> blocks_;
    std::vector<std::unique_ptr<AltUpWrapper>> altup_;
    std::vector<Var> gemma_proj_, gemma_unproj_;  // Gemma 3n: blocks 1..K-1 from/to block 0
    std::vector<std::unique_ptr<SequenceAltUpLayer>> seq_altup_;
    std::unique_ptr<Norm> final_norm_;
    Var reduce_weights_;  // constant [K] ones (sum) or 1/K (mean)
};

}  // namespace altup
