// The paper's AltUp: K learned d-wide embeddings per token (one position
// table added to every block), the predict-and-correct wrapper around every
// layer, and a head on the K*d concatenation (output: concat) or on a block
// sum or mean (output: sum | mean, the d-wide-head control).
#include "core/ops.hpp"
#include "layers/altup.hpp"
#include "layers/embedding.hpp"
#include "layers/variants/variants.hpp"

namespace altup {

namespace {

class PaperAltUp : public ModelVariant {
public:
    PaperAltUp(ParamStore& store, const VariantShape& s, const AltUpConfig& cfg)
        : shape_(s), embedding_(store, s.vocab, s.d * s.k, s.seq_len, s.d, s.init_std), stack_(int(s.k), cfg) {
        if (cfg.output != AltUpOutput::concat)
            out_weights_ = leaf(Tensor::full({s.k}, cfg.output == AltUpOutput::mean ? 1.0f / float(s.k) : 1.0f));
    }
    void add_layer(ParamStore& store, const std::string& prefix, int l) override { stack_.add_layer(store, prefix, l); }
    Var run(const std::vector<int32_t>& ids, const std::vector<int32_t>& positions, const LayerAt& layer) const override {
        Var pos = embedding_.positions(positions);  // [N, d]
        Var tok = embedding_.tokens(ids);           // [N, K*d]
        Var x = shape_.k == 1 ? add(tok, pos) : add(tok, concat(std::vector<Var>(shape_.k, pos)));
        return stack_.run(Widened{x}, layer, out_weights_);
    }
    int64_t readout_width() const override { return out_weights_ ? shape_.d : shape_.d * shape_.k; }
    double wrapper_flops_per_token() const override { return stack_.flops_per_token(shape_.d); }

private:
    VariantShape shape_;
    TokenEmbedding embedding_;
    AltUpStack stack_;
    Var out_weights_;  // constant [K] ones (sum) or 1/K (mean); null for concat
};

}  // namespace

std::unique_ptr<ModelVariant> make_altup_variant(ParamStore& store, const VariantShape& shape, const AltUpConfig& cfg) {
    return std::make_unique<PaperAltUp>(store, shape, cfg);
}

}  // namespace altup
