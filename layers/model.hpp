// The language model: a variant's stem -> N blocks (dense FFN or MoE, each
// optionally inside Sequence-AltUp) in the variant's wrappers -> the variant's
// readout -> final norm -> head -> cross-entropy (+ MoE auxiliary loss).
// Built entirely from a ModelConfig; the variant (layers/variant.hpp) holds
// everything that differs between the plain model and the AltUp family.
#pragma once
#include <memory>
#include <vector>

#include "core/params.hpp"
#include "layers/block.hpp"
#include "layers/model_config.hpp"
#include "layers/sequence_altup.hpp"
#include "layers/variant.hpp"

namespace altup {

struct ParamCounts {
    int64_t total = 0;
    int64_t embedding = 0;       // ParamKind::embedding: embed.*
    int64_t non_embedding = 0;   // everything else, the head included
    int64_t altup_scalars = 0;   // ParamKind::altup: predict + correct (+ Sequence-AltUp's, Gemma 3n's router)
    int64_t altup_scalars_per_layer = 0;
};

struct ModelOutput {
    Var loss;    // cross-entropy + aux_loss coefficient * aux
    Var ce;      // mean next-token cross-entropy
    Var aux;     // summed MoE load-balancing loss (null without MoE)
    Var logits;  // [B*T, V], values only (the head's gradient is made inside head_cross_entropy)
    Var hidden;  // the final representation before the norm: [B*T, K*d] or [B*T, d]
};

class LanguageModel {
public:
    // Registers and initialises every parameter from `seed`, as variant_kind(cfg).
    // precision: what every product of the model multiplies in (train.dtype).
    LanguageModel(const ModelConfig& cfg, uint64_t seed, Precision precision = Precision::f32);
    // The same with the variant named (tests: the AltUp variant at K = 1 must
    // compute what the dense model computes).
    LanguageModel(const ModelConfig& cfg, uint64_t seed, VariantKind variant, Precision precision = Precision::f32);
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
    Precision precision() const { return precision_; }
    // Widths after width_mult: the block width d and the representation K*d.
    int64_t block_width() const { return d_; }
    int64_t representation_width() const { return d_ * k_; }
    // Forward matmul FLOPs per token (2 per multiply-add), counted analytically;
    // a training step costs about 3x this per token.
    double forward_flops_per_token(int64_t T) const;
    TransformerBlock& block(int l) { return *blocks_[l]; }

private:
    ModelConfig cfg_;
    Precision precision_;
    int64_t d_, heads_, d_ff_, k_;
    bool training_ = true;
    ParamStore store_;
    std::unique_ptr<ModelVariant> variant_;
    std::vector<std::unique_ptr<TransformerBlock>> blocks_;
    std::vector<std::unique_ptr<SequenceAltUpLayer>> seq_altup_;
    std::unique_ptr<Norm> final_norm_;
    Var head_;
};

}  // namespace altup
