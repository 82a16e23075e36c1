#include "layers/altup.hpp"

#include "core/ops.hpp"

namespace altup {

AltUpLayer::AltUpLayer(ParamStore& store, const std::string& prefix, int k, int layer_index, const AltUpConfig& cfg)
    : k_(k), j_(cfg.selection == AltUpSelection::alternating ? layer_index % k : 0), compute_on_(cfg.compute_on) {
    predict_ = store.add(prefix + ".predict", {k, k}, Init::identity, 0, /*decay=*/false, ParamStore::Place::aligned,
                         ParamKind::altup);
    correct_ = store.add(prefix + ".correct", {k}, Init::ones, 0, false, ParamStore::Place::aligned, ParamKind::altup);
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

void AltUpStack::add_layer(ParamStore& store, const std::string& prefix, int l) {
    layers_.push_back(std::make_unique<AltUpLayer>(store, prefix + ".altup", k_, l, cfg_));
}

Var AltUpStack::run(Widened x, const LayerAt& layer, const Var& out_weights) const {
    const int n = int(layers_.size());
    for (int l = 0; l < n; ++l) {
        const LayerFn layer_l = [&layer, l](const Var& in) { return layer(l, in); };
        if (l + 1 == n && out_weights) return layers_[l]->forward_summed(x, layer_l, out_weights);
        x = layers_[l]->forward(x, layer_l, l + 1 == n ? -1 : layers_[l + 1]->input_block());
    }
    return out_weights ? altup_block_sum(x.full(k_), out_weights, k_) : x.full(k_);
}

}  // namespace altup
