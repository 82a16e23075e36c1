#include "layers/altup.hpp"

#include "core/ops.hpp"

namespace altup {

AltUpLayer::AltUpLayer(ParamStore& store, const std::string& prefix, int k, int layer_index, const AltUpConfig& cfg)
    : k_(k), j_(cfg.selection == AltUpSelection::alternating ? layer_index % k : 0), compute_on_(cfg.compute_on) {
    predict_ = store.add(prefix + ".predict", {k, k}, Init::identity, 0, /*decay=*/false);
    correct_ = store.add(prefix + ".correct", {k}, Init::ones, 0, false);
}

Var Widened::full(int k) const { return replicated ? concat(std::vector<Var>(k, x)) : x; }

Var AltUpWrapper::forward_summed(const Widened& in, const LayerFn& layer, const Var& w) const {
    return altup_block_sum(forward(in, layer, -1).x, w, int(w->value.numel()));
}

int AltUpLayer::input_block() const { return compute_on_ == AltUpComputeOn::input ? j_ : -1; }

Widened AltUpLayer::forward(const Widened& in, const LayerFn& layer, int next_j) const {
    if (compute_on_ == AltUpComputeOn::input) {  // the prediction is needed only by the correction: fused
        AltUpFusion fuse;
        fuse.next_j = next_j;
        fuse.x_replicated = in.replicated;
        auto [y, next_block] = altup_predict_correct_fused(in.x, layer(input_block_of(in)), predict_, correct_, k_, j_, fuse);
        return {y, next_block, next_block ? next_j : -1};
    }
    Var x = in.full(k_);
    const int64_t d = x->value.dim(-1) / k_;
    Var xhat = altup_predict(x, predict_, k_);
    return {altup_correct(xhat, layer(slice(xhat, j_ * d, d)), correct_, k_, j_)};
}

Var AltUpLayer::forward_summed(const Widened& in, const LayerFn& layer, const Var& w) const {
    if (compute_on_ != AltUpComputeOn::input) return AltUpWrapper::forward_summed(in, layer, w);
    AltUpFusion fuse;
    fuse.x_replicated = in.replicated;
    fuse.out_weights = w;
    return altup_predict_correct_fused(in.x, layer(input_block_of(in)), predict_, correct_, k_, j_, fuse).y;
}

Var AltUpLayer::input_block_of(const Widened& in) const {
    if (in.replicated) return in.x;  // every block is x
    if (in.block && in.j == j_) return in.block;
    const int64_t d = in.x->value.dim(-1) / k_;
    return slice(in.x, j_ * d, d);
}

Gemma3nAltUpLayer::Gemma3nAltUpLayer(ParamStore& store, const std::string& prefix, int k, int64_t d) : k_(k), d_(d) {
    router_norm_ = store.add(prefix + ".router_norm.weight", {d}, Init::ones, 0, false);
    router_ = store.add(prefix + ".router.weight", {k, d}, Init::normal, 0.02f, false);
    predict_coefs_ = store.add(prefix + ".predict_coefs", {int64_t(k) * k, k}, Init::zeros, 0, false);
    correct_coefs_ = store.add(prefix + ".correct_coefs", {k, k}, Init::zeros, 0, false);
    ones_ = leaf(Tensor::full({k}, 1.0f));
}

Var Gemma3nAltUpLayer::router_modalities(const Var& block) const {
    return tanh(matmul(scale(rmsnorm(block, router_norm_), 1.0f / float(d_)), router_, /*trans_b=*/true));
}

Widened Gemma3nAltUpLayer::forward(const Widened& in, const LayerFn& layer, int /*next_j: no block to offer*/) const {
    constexpr float kClip = 120.0f;
    const Var x = in.full(k_);
    const int64_t N = x->value.dim(0), K = k_, d = d_;
    Var blocks = reshape(x, {N, K, d});
    Var coefs = reshape(clamp(matmul(router_modalities(slice(x, 0, d)), predict_coefs_, true), -kClip, kClip), {N, K, K});
    Var xhat = add(blocks, bmm(coefs, blocks));                    // [N, K, d]
    Var xhat0 = slice(reshape(xhat, {N, K * d}), 0, d);
    Var xtilde = layer(xhat0);
    Var gains = add(clamp(matmul(router_modalities(xtilde), correct_coefs_, true), -kClip, kClip), ones_);  // [N, K]
    Var innovation = reshape(sub(xtilde, xhat0), {N, 1, d});
    return {reshape(add(xhat, bmm(reshape(gains, {N, K, 1}), innovation)), {N, K * d})};
}

SequenceAltUpLayer::SequenceAltUpLayer(ParamStore& store, const std::string& prefix, const SequenceAltUpConfig& cfg,
                                       int layer)
    : stride_(cfg.stride), offset_(cfg.offset == SequenceAltUpOffset::alternating ? layer % cfg.stride : 0) {
    if (cfg.mode == SequenceAltUpMode::predict_correct) {
        // a = 1, b = 0, g = 1: a skipped token gets its computed neighbour's update.
        coef_ = store.add_values(prefix + ".coef", {3}, {1.0f, 0.0f, 1.0f});
    }
}

Var SequenceAltUpLayer::forward(const Var& x, int64_t B, int64_t T,
                                const std::function<Var(const Var&, int64_t)>& layer) const {
    const int64_t Tc = T / stride_;
    std::vector<int32_t> rows;
    rows.reserve(B * Tc);
    for (int64_t b = 0; b < B; ++b)
        for (int64_t m = 0; m < Tc; ++m) rows.push_back(static_cast<int32_t>(b * T + offset_ + m * stride_));
    Var xtilde = layer(gather_rows(x, rows), Tc);
    return sequence_altup_mix(x, xtilde, coef_, B, T, stride_, offset_);
}

}  // namespace altup
