// The plain model (AltUp off): one d-wide block from the embedding to the head.
#include "core/ops.hpp"
#include "layers/embedding.hpp"
#include "layers/variants/variants.hpp"

namespace altup {

namespace {

class Dense : public ModelVariant {
public:
    Dense(ParamStore& store, const VariantShape& s)
        : d_(s.d), embedding_(store, s.vocab, s.d, s.seq_len, s.d, s.init_std) {}
    void add_layer(ParamStore&, const std::string&, int) override { ++layers_; }
    Var run(const std::vector<int32_t>& ids, const std::vector<int32_t>& positions, const LayerAt& layer) const override {
        Var pos = embedding_.positions(positions);
        Var x = add(embedding_.tokens(ids), pos);
        for (int l = 0; l < layers_; ++l) x = layer(l, x);
        return x;
    }
    int64_t readout_width() const override { return d_; }

private:
    int64_t d_;
    TokenEmbedding embedding_;
    int layers_ = 0;
};

}  // namespace

std::unique_ptr<ModelVariant> make_dense_variant(ParamStore& store, const VariantShape& shape) {
    return std::make_unique<Dense>(store, shape);
}

}  // namespace altup
