#include "layers/model.hpp"

#include <stdexcept>

#include "core/ops.hpp"

namespace altup {

namespace {
bool moe_layer(const ModelConfig& c, int l) { return c.moe.experts > 0 && (l + 1) % c.moe.every == 0; }
// A private marker so that K = 1 can still run through the AltUp wrappers in tests.
constexpr int kForceAltUpK1 = -1;
}  // namespace

ModelConfig LanguageModel::force_altup_k1(ModelConfig cfg) {
    cfg.altup.k = kForceAltUpK1;
    return cfg;
}

LanguageModel::LanguageModel(const ModelConfig& cfg, uint64_t seed) : cfg_(cfg) {
    const bool forced_k1 = cfg.altup.k == kForceAltUpK1;
    k_ = forced_k1 ? 1 : cfg.altup.k;
    cfg_.altup.k = static_cast<int>(k_);
    altup_on_ = forced_k1 || k_ > 1;
    d_ = int64_t(cfg.d_model) * cfg.width_mult;
    heads_ = int64_t(cfg.heads) * cfg.width_mult;
    d_ff_ = int64_t(cfg.d_ff) * cfg.width_mult;
    if (d_ % heads_ != 0) throw std::invalid_argument("model: d_model must be divisible by heads");
    const bool gemma = altup_on_ && cfg.altup.style == AltUpStyle::gemma3n;
    if (gemma && cfg.altup.recycled) throw std::invalid_argument("model.altup: gemma3n style cannot be recycled");
    if (gemma) cfg_.altup.output = AltUpOutput::mean;  // Gemma 3n averages the un-projected blocks
    const bool recycled = altup_on_ && cfg.altup.recycled;
    const float std = float(cfg.init_std);

    // Embeddings: K learned d-vectors per token (paper AltUp) or one d-vector
    // replicated into the K blocks (Recycled); one shared position table.
    tok_ = store_.add("embed.tok", {cfg.vocab, recycled || gemma ? d_ : d_ * k_}, Init::normal, std, false);
    pos_ = store_.add("embed.pos", {cfg.seq_len, d_}, Init::normal, std, false);
    if (gemma)
        for (int64_t i = 1; i < k_; ++i)
            gemma_proj_.push_back(store_.add("embed.altup_proj." + std::to_string(i), {d_, d_}, Init::normal, std));

    const BlockShape shape{d_, heads_, d_ff_};
    for (int l = 0; l < cfg.layers; ++l) {
        const std::string prefix = "blocks." + std::to_string(l);
        blocks_.push_back(std::make_unique<TransformerBlock>(store_, prefix, shape, cfg_, moe_layer(cfg_, l)));
        if (gemma)
            altup_.push_back(std::make_unique<Gemma3nAltUpLayer>(store_, prefix + ".altup", int(k_), d_));
        else if (altup_on_)
            altup_.push_back(std::make_unique<AltUpLayer>(store_, prefix + ".altup", int(k_), l, cfg_.altup));
        if (cfg.sequence_altup.stride > 1)
            seq_altup_.push_back(std::make_unique<SequenceAltUpLayer>(store_, prefix + ".seq_altup", cfg.sequence_altup, l));
    }
    const bool concat_out = !altup_on_ || (!recycled && cfg_.altup.output == AltUpOutput::concat);
    if (gemma)
        for (int64_t i = 1; i < k_; ++i)
            gemma_unproj_.push_back(store_.add("altup_unembed_proj." + std::to_string(i), {d_, d_}, Init::normal, std));
    const int64_t out_width = concat_out ? d_ * k_ : d_;
    final_norm_ = std::make_unique<Norm>(store_, "final_norm", out_width, cfg.norm);
    head_ = store_.add("head.weight", {cfg.vocab, out_width}, Init::normal, std);
    if (!concat_out) {
        const float w = cfg_.altup.output == AltUpOutput::mean ? 1.0f / float(k_) : 1.0f;
        reduce_weights_ = leaf(Tensor::full({k_}, w));
    }
    Rng rng(seed);
    store_.finalize(rng);
}

Widened LanguageModel::embed(const std::vector<int32_t>& ids, int64_t B, int64_t T) {
    if (T > cfg_.seq_len)
        throw std::invalid_argument("model: sequence of " + std::to_string(T) + " tokens exceeds seq_len " + std::to_string(cfg_.seq_len));
    std::vector<int32_t> positions(B * T);
    for (int64_t i = 0; i < B * T; ++i) positions[i] = static_cast<int32_t>(i % T);
    Var pos = embedding(pos_, positions);  // [N, d]
    Var tok = embedding(tok_, ids);        // [N, d] or [N, K*d]
    if (!altup_on_ || k_ == 1) return {add(tok, pos)};
    if (cfg_.altup.recycled) {  // every block is e: passed once, as the K blocks' stand-in
        Var e = add(tok, pos);
        return {e, nullptr, -1, /*replicated=*/true};
    }
    if (!gemma_proj_.empty()) {  // Gemma 3n: block i = rms-matched projection of block 0
        Var e = add(tok, pos);
        std::vector<Var> blocks{e};
        for (const auto& p : gemma_proj_) blocks.push_back(rms_match(linear(e, p, nullptr), e));
        return {concat(blocks)};
    }
    return {add(tok, concat(std::vector<Var>(k_, pos)))};
}

Var LanguageModel::output_reduce(const Var& h) const {
    if (!reduce_weights_) return h;
    if (gemma_unproj_.empty()) return altup_block_sum(h, reduce_weights_, int(k_));
    std::vector<Var> blocks;
    for (int64_t i = 0; i < k_; ++i) blocks.push_back(slice(h, i * d_, d_));
    for (size_t i = 0; i < gemma_unproj_.size(); ++i)  // Gemma 3n: back to block 0's space and magnitude
        blocks[i + 1] = rms_match(linear(blocks[i + 1], gemma_unproj_[i], nullptr), blocks[0]);
    return weighted_sum(blocks, reduce_weights_);
}

ModelOutput LanguageModel::forward(const std::vector<int32_t>& ids, const std::vector<int32_t>& targets, int64_t B,
                                   int64_t T) {
    if (static_cast<int64_t>(ids.size()) != B * T || static_cast<int64_t>(targets.size()) != B * T)
        throw std::invalid_argument("model: expected B*T = " + std::to_string(B * T) + " ids and targets");
    ModelOutput out;
    out.logits = linear(features(ids, B, T, &out.aux, &out.hidden), head_, nullptr);
    out.ce = cross_entropy(out.logits, targets);
    out.loss = out.aux ? add(out.ce, scale(out.aux, float(cfg_.moe.aux_loss))) : out.ce;
    return out;
}

Var LanguageModel::features(const std::vector<int32_t>& ids, int64_t B, int64_t T, Var* aux, Var* hidden) {
    if (static_cast<int64_t>(ids.size()) != B * T)
        throw std::invalid_argument("model: expected B*T = " + std::to_string(B * T) + " ids");
    Var moe_aux;
    Widened x = embed(ids, B, T);
    bool summed = false;  // the last layer took the output's block sum itself
    for (int l = 0; l < cfg_.layers; ++l) {
        TransformerBlock& block = *blocks_[l];
        // The layer as a function of its width-d input; Sequence-AltUp narrows
        // the sequence it sees, AltUp the block it sees.
        LayerFn layer = [&](const Var& in) {
            if (seq_altup_.empty()) return block.forward(in, B, T, &moe_aux);
            return seq_altup_[l]->forward(in, B, T, [&](const Var& sub, int64_t Tc) { return block.forward(sub, B, Tc, &moe_aux); });
        };
        const bool last = l + 1 == cfg_.layers;
        if (!altup_on_) x = {layer(x.x)};
        else if (last && reduce_weights_ && gemma_unproj_.empty()) {
            x = {altup_[l]->forward_summed(x, layer, reduce_weights_)};
            summed = true;
        } else {
            x = altup_[l]->forward(x, layer, last ? -1 : altup_[l + 1]->input_block());
        }
    }
    Var h = summed ? x.x : output_reduce(x.full(int(k_)));
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
        if (p.name.rfind("embed.", 0) == 0) c.embedding += n;
        // AltUp's per-layer parameters: K^2+K scalars (paper), 3 (Sequence-AltUp),
        // or the router and coefficient maps (Gemma 3n).
        if (p.name.find(".altup.") != std::string::npos || p.name.find(".seq_altup.") != std::string::npos)
            c.altup_scalars += n;
    }
    c.non_embedding = c.total - c.embedding;
    c.altup_scalars_per_layer = cfg_.layers ? c.altup_scalars / cfg_.layers : 0;
    return c;
}

double LanguageModel::forward_flops_per_token(int64_t T) const {
    const double d = double(d_), dff = double(d_ff_), K = double(k_);
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
        if (altup_on_) flops += 2.0 * K * K * d + 3.0 * K * d;  // predict + correct
    }
    const bool concat_out = !reduce_weights_;
    flops += 2.0 * double(cfg_.vocab) * (concat_out ? K * d : d);  // output head
    return flops;
}

}  // namespace altup
