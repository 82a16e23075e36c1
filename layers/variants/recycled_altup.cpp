// Recycled-AltUp: one d-wide embedding stands for all K blocks (passed once,
// replicated), the paper's wrapper around every layer, and a d-wide head on
// the blocks' sum (output: sum, or concat) or mean (output: mean).
#include "core/ops.hpp"
#include "layers/altup.hpp"
#include "layers/embedding.hpp"
#include "layers/variants/variants.hpp"

namespace altup {

namespace {

class RecycledAltUp : public ModelVariant {
public:
    RecycledAltUp(ParamStore& store, const VariantShape& s, const AltUpConfig& cfg)
        : shape_(s), embedding_(store, s.vocab, s.d, s.seq_len, s.d, s.init_std), stack_(int(s.k), cfg),
          out_weights_(leaf(Tensor::full({s.k}, cfg.output == AltUpOutput::mean ? 1.0f / float(s.k) : 1.0f))) {}
    void add_layer(ParamStore& store, const std::string& prefix, int l) override { stack_.add_layer(store, prefix, l); }
    Var run(const std::vector<int32_t>& ids, const std::vector<int32_t>& positions, const LayerAt& layer) const override {
        Var pos = embedding_.positions(positions);
        Var e = add(embedding_.tokens(ids), pos);
        // K = 1 has nothing to replicate; otherwise the first layer reads e as every block.
        return stack_.run(shape_.k == 1 ? Widened{e} : Widened{e, nullptr, -1, /*replicated=*/true}, layer, out_weights_);
    }
    int64_t readout_width() const override { return shape_.d; }
    double wrapper_flops_per_token() const override { return stack_.flops_per_token(shape_.d); }

private:
    VariantShape shape_;
    TokenEmbedding embedding_;
    AltUpStack stack_;
    Var out_weights_;
};

}  // namespace

std::unique_ptr<ModelVariant> make_recycled_altup_variant(ParamStore& store, const VariantShape& shape,
                                                     const AltUpConfig& cfg) {
    return std::make_unique<RecycledAltUp>(store, shape, cfg);
}

}  // namespace altup
