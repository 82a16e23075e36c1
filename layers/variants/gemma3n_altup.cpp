#include "layers/variants/gemma3n_altup.hpp"

#include "core/ops.hpp"
#include "layers/embedding.hpp"
#include "layers/variants/variants.hpp"

namespace altup {

Gemma3nAltUpLayer::Gemma3nAltUpLayer(ParamStore& store, const std::string& prefix, int k, int64_t d, Precision precision)
    : k_(k), d_(d), precision_(precision) {
    router_norm_ = store.add(prefix + ".router_norm.weight", {d}, Init::ones, 0, false, ParamStore::Place::aligned, ParamKind::altup);
    router_ = store.add(prefix + ".router.weight", {k, d}, Init::normal, 0.02f, false, ParamStore::Place::aligned, ParamKind::altup);
    predict_coefs_ = store.add(prefix + ".predict_coefs", {int64_t(k) * k, k}, Init::zeros, 0, false,
                                ParamStore::Place::aligned, ParamKind::altup);
    correct_coefs_ = store.add(prefix + ".correct_coefs", {k, k}, Init::zeros, 0, false, ParamStore::Place::aligned, ParamKind::altup);
    ones_ = leaf(Tensor::full({k}, 1.0f));
}

Var Gemma3nAltUpLayer::router_modalities(const Var& block) const {
    return tanh(matmul(scale(rmsnorm(block, router_norm_), 1.0f / float(d_)), router_, /*trans_b=*/true, precision_));
}

Widened Gemma3nAltUpLayer::forward(const Widened& in, const LayerFn& layer, int /*next_j: no block to offer*/) const {
    constexpr float kClip = 120.0f;
    const Var x = in.full(k_);
    const int64_t N = x->value.dim(0), K = k_, d = d_;
    Var blocks = reshape(x, {N, K, d});
    Var coefs = reshape(clamp(matmul(router_modalities(slice(x, 0, d)), predict_coefs_, true, precision_), -kClip, kClip), {N, K, K});
    Var xhat = add(blocks, bmm(coefs, blocks, false, 1.0f, precision_));  // [N, K, d]
    Var xhat0 = slice(reshape(xhat, {N, K * d}), 0, d);
    Var xtilde = layer(xhat0);
    Var gains = add(clamp(matmul(router_modalities(xtilde), correct_coefs_, true, precision_), -kClip, kClip), ones_);  // [N, K]
    Var innovation = reshape(sub(xtilde, xhat0), {N, 1, d});
    return {reshape(add(xhat, bmm(reshape(gains, {N, K, 1}), innovation, false, 1.0f, precision_)), {N, K * d})};
}


namespace {

// Block 0 is the embedding e; block i is a learned projection of e scaled to
// e's RMS. No look-ahead (every layer reads a prediction), and the readout
// maps blocks 1..K-1 back to block 0's space and magnitude and averages.
class Gemma3nAltUp : public ModelVariant {
public:
    Gemma3nAltUp(ParamStore& store, const VariantShape& s)
        : shape_(s), embedding_(store, s.vocab, s.d, s.seq_len, s.d, s.init_std),
          mean_weights_(leaf(Tensor::full({s.k}, 1.0f / float(s.k)))) {
        for (int64_t i = 1; i < s.k; ++i)
            proj_.push_back(store.add("embed.altup_proj." + std::to_string(i), {s.d, s.d}, Init::normal, s.init_std, true,
                                      ParamStore::Place::aligned, ParamKind::embedding));
    }
    void add_layer(ParamStore& store, const std::string& prefix, int /*l*/) override {
        layers_.push_back(std::make_unique<Gemma3nAltUpLayer>(store, prefix + ".altup", int(shape_.k), shape_.d, shape_.precision));
    }
    void add_readout(ParamStore& store) override {
        for (int64_t i = 1; i < shape_.k; ++i)
            unproj_.push_back(store.add("altup_unembed_proj." + std::to_string(i), {shape_.d, shape_.d}, Init::normal,
                                        shape_.init_std));
    }
    Var run(const std::vector<int32_t>& ids, const std::vector<int32_t>& positions, const LayerAt& layer) const override {
        Var pos = embedding_.positions(positions);
        Var e = add(embedding_.tokens(ids), pos);
        std::vector<Var> stem{e};
        for (const auto& p : proj_) stem.push_back(rms_match(linear(e, p, nullptr, Rows::fixed, shape_.precision), e));
        Widened x{concat(stem)};
        for (size_t l = 0; l < layers_.size(); ++l)
            x = layers_[l]->forward(x, [&layer, l](const Var& in) { return layer(int(l), in); }, -1);
        const Var h = x.full(int(shape_.k));
        std::vector<Var> blocks;
        for (int64_t i = 0; i < shape_.k; ++i) blocks.push_back(slice(h, i * shape_.d, shape_.d));
        for (size_t i = 0; i < unproj_.size(); ++i)
            blocks[i + 1] = rms_match(linear(blocks[i + 1], unproj_[i], nullptr, Rows::fixed, shape_.precision), blocks[0]);
        return weighted_sum(blocks, mean_weights_);
    }
    int64_t readout_width() const override { return shape_.d; }
    // As for the paper's wrapper; the router's and the projections' products are not counted.
    double wrapper_flops_per_token() const override { return altup_wrapper_flops(shape_.k, shape_.d); }

private:
    VariantShape shape_;
    TokenEmbedding embedding_;
    std::vector<Var> proj_, unproj_;
    std::vector<std::unique_ptr<Gemma3nAltUpLayer>> layers_;
    Var mean_weights_;
};

}  // namespace

std::unique_ptr<ModelVariant> make_gemma3n_altup_variant(ParamStore& store, const VariantShape& shape) {
    return std::make_unique<Gemma3nAltUp>(store, shape);
}

}  // namespace altup
