// A model variant: where the token representation's shape lives. Each variant
// (layers/variants/, one file each) has a stem (the embeddings into the first
// layer's input), the wrapper around every layer with what one layer hands
// the next, and a readout (what the final norm and the head read). The
// transformer blocks, Sequence-AltUp and MoE are the model's and are the same
// under every variant; which variant a config builds is variant_kind's
// decision (layers/model_config.hpp).
#pragma once
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/choices.hpp"
#include "core/params.hpp"
#include "layers/model_config.hpp"

namespace altup {

// Layer l of the stack on a width-d input [N, d] -> [N, d].
using LayerAt = std::function<Var(int l, const Var& in)>;

// What a variant is built for: its sizes after width_mult, and what its own
// products multiply in (train.dtype).
struct VariantShape {
    int64_t d = 0;        // block width
    int64_t k = 1;        // blocks
    int64_t vocab = 0;
    int64_t seq_len = 0;
    float init_std = 0.02f;
    Precision precision = Precision::f32;
};

class ModelVariant {
public:
    virtual ~ModelVariant() = default;
    // Parameters are registered in a fixed order (a seed fixes the weights):
    // the stem's in the constructor, then layer l's wrapper right after block
    // l's own, then the readout's before the final norm's.
    virtual void add_layer(ParamStore& store, const std::string& prefix, int l) = 0;
    virtual void add_readout(ParamStore& /*store*/) {}
    // The whole representation path: stem, every layer in its wrapper, readout.
    // positions[n] is token n's position. Returns [N, readout_width()].
    virtual Var run(const std::vector<int32_t>& ids, const std::vector<int32_t>& positions,
                    const LayerAt& layer) const = 0;
    virtual int64_t readout_width() const = 0;
    // Forward FLOPs per token a wrapper adds to its layer (2 per multiply-add).
    virtual double wrapper_flops_per_token() const { return 0.0; }
};

// The variant `kind` at `shape` (tests build the AltUp variant at k = 1, which
// must compute what the dense model computes). Registers the stem's parameters.
std::unique_ptr<ModelVariant> make_variant(VariantKind kind, ParamStore& store, const VariantShape& shape,
                                      const AltUpConfig& altup);

}  // namespace altup
