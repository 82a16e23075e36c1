#include "layers/model.hpp"

#include <stdexcept>

#include "core/ops.hpp"

namespace altup {

namespace {
bool moe_layer(const ModelConfig& c, int l) { return c.moe.experts > 0 && (l + 1) % c.moe.every == 0; }
}  // namespace

LanguageModel::LanguageModel(const ModelConfig& cfg, uint64_t seed, Precision precision)
    : LanguageModel(cfg, seed, variant_kind(cfg), precision) {}

LanguageModel::LanguageModel(const ModelConfig& cfg, uint64_t seed, VariantKind variant, Precision precision)
    : cfg_(cfg), precision_(precision) {
    k_ = variant == VariantKind::dense ? 1 : cfg.altup.k;
    cfg_.altup.k = static_cast<int>(k_);
    d_ = int64_t(cfg.d_model) * cfg.width_mult;
    heads_ = int64_t(cfg.heads) * cfg.width_mult;
    d_ff_ = int64_t(cfg.d_ff) * cfg.width_mult;
    if (d_ % heads_ != 0) throw std::invalid_argument("model: d_model must be divisible by heads");
    if (variant == VariantKind::gemma3n_altup && cfg.altup.recycled)
        throw std::invalid_argument("model.altup: gemma3n style cannot be recycled");

    // Registration order fixes the initial weights: the stem, then per layer
    // the block, its wrapper and its Sequence-AltUp, then readout, norm, head.
    variant_ = make_variant(variant, store_, {d_, k_, cfg.vocab, cfg.seq_len, float(cfg.init_std), precision}, cfg_.altup);
    const BlockShape shape{d_, heads_, d_ff_};
    for (int l = 0; l < cfg.layers; ++l) {
        const std::string prefix = "blocks." + std::to_string(l);
        blocks_.push_back(std::make_unique<TransformerBlock>(store_, prefix, shape, cfg_, moe_layer(cfg_, l), precision));
        variant_->add_layer(store_, prefix, l);
        if (cfg.sequence_altup.stride > 1)
            seq_altup_.push_back(std::make_unique<SequenceAltUpLayer>(store_, prefix + ".seq_altup", cfg.sequence_altup, l));
    }
    variant_->add_readout(store_);
    final_norm_ = std::make_unique<Norm>(store_, "final_norm", variant_->readout_width(), cfg.norm);
    head_ = store_.add("head.weight", {cfg.vocab, variant_->readout_width()}, Init::normal, float(cfg.init_std));
    Rng rng(seed);
    store_.finalize(rng);
}

ModelOutput LanguageModel::forward(const std::vector<int32_t>& ids, const std::vector<int32_t>& targets, int64_t B,
                                   int64_t T) {
    if (static_cast<int64_t>(ids.size()) != B * T || static_cast<int64_t>(targets.size()) != B * T)
        throw std::invalid_argument("model: expected B*T = " + std::to_string(B * T) + " ids and targets");
    ModelOutput out;
    HeadLoss head = head_cross_entropy(features(ids, B, T, &out.aux, &out.hidden), head_, targets, precision_);
    out.ce = head.loss;
    out.logits = head.logits;
    out.loss = out.aux ? add(out.ce, scale(out.aux, float(cfg_.moe.aux_loss))) : out.ce;
    return out;
}

Var LanguageModel::features(const std::vector<int32_t>& ids, int64_t B, int64_t T, Var* aux, Var* hidden) {
    if (static_cast<int64_t>(ids.size()) != B * T)
        throw std::invalid_argument("model: expected B*T = " + std::to_string(B * T) + " ids");
    if (T > cfg_.seq_len)
        throw std::invalid_argument("model: sequence of " + std::to_string(T) + " tokens exceeds seq_len " + std::to_string(cfg_.seq_len));
    std::vector<int32_t> positions(B * T);
    for (int64_t i = 0; i < B * T; ++i) positions[i] = static_cast<int32_t>(i % T);
    Var moe_aux;
    // Layer l as a function of its width-d input; Sequence-AltUp narrows the
    // sequence it sees, the variant's wrapper the block it sees.
    const LayerAt layer = [&](int l, const Var& in) {
        TransformerBlock& block = *blocks_[l];
        if (seq_altup_.empty()) return block.forward(in, B, T, &moe_aux);
        return seq_altup_[l]->forward(in, B, T, [&](const Var& sub, int64_t Tc) { return block.forward(sub, B, Tc, &moe_aux); });
    };
    Var h = variant_->run(ids, positions, layer);
    if (aux) *aux = moe_aux;
    if (hidden) *hidden = h;
    return final_norm_->forward(h);
}

int64_t LanguageModel::output_width() const { return head_->value.shape().back(); }

void LanguageModel::set_training(bool training) {
    training_ = training;
    for (auto& b : blocks_)
        if (b->moe()) b->moe()->set_training(training);
}

ParamCounts LanguageModel::param_counts() const {
    ParamCounts c;
    for (const auto& p : store_.params()) {
        const int64_t n = numel_of(p.shape);
        c.total += n;
        if (p.kind == ParamKind::embedding) c.embedding += n;
        if (p.kind == ParamKind::altup) c.altup_scalars += n;
    }
    c.non_embedding = c.total - c.embedding;
    c.altup_scalars_per_layer = cfg_.layers ? c.altup_scalars / cfg_.layers : 0;
    return c;
}

double LanguageModel::forward_flops_per_token(int64_t T) const {
    const double d = double(d_), dff = double(d_ff_);
    const double Ts = cfg_.sequence_altup.stride > 1 ? double(T) / cfg_.sequence_altup.stride : double(T);
    // Fraction of tokens a layer computes on (Sequence-AltUp computes 1/s of them).
    const double frac = cfg_.sequence_altup.stride > 1 ? 1.0 / cfg_.sequence_altup.stride : 1.0;
    double flops = 0.0;
    for (int l = 0; l < cfg_.layers; ++l) {
        double layer = 2.0 * 4.0 * d * d;  // q, k, v, o projections
        layer += 2.0 * 2.0 * Ts * d;       // scores and weighted values over the (sub)sequence
        if (moe_layer(cfg_, l))
            layer += 2.0 * d * cfg_.moe.experts + cfg_.moe.top_k * 2.0 * 2.0 * d * dff;
        else
            layer += 2.0 * 2.0 * d * dff;
        flops += frac * layer;
        flops += variant_->wrapper_flops_per_token();  // the variant's wrapper, on every token
    }
    flops += 2.0 * double(cfg_.vocab) * double(variant_->readout_width());  // output head
    return flops;
}

}  // namespace altup
