// Sequence-AltUp (docs/altup.md): the layer computes on every s-th token and
// the skipped ones are predicted and corrected. It wraps the layer along the
// sequence, so it combines with every variant (layers/variant.hpp).
#pragma once
#include <functional>
#include <string>

#include "core/params.hpp"
#include "layers/model_config.hpp"

namespace altup {

// Sequence-AltUp around a layer: the layer sees every s-th token only (a
// sequence of T/s), the others are predicted and corrected with three scalars
// (or passed through unchanged in `skip` mode, the stride-and-skip baseline).
class SequenceAltUpLayer {
public:
    // `layer` (0-based) picks the computed positions under the alternating offset.
    SequenceAltUpLayer(ParamStore& store, const std::string& prefix, const SequenceAltUpConfig& cfg, int layer);
    // x [B*T, W]; layer(x_sub, T_sub) runs on the computed tokens [B*T/s, W].
    Var forward(const Var& x, int64_t B, int64_t T, const std::function<Var(const Var&, int64_t)>& layer) const;
private:
    int64_t stride_;
    int64_t offset_;  // computed positions: offset_, offset_ + stride_, ...
    Var coef_;  // [a, b, g], null in skip mode
};

}  // namespace altup
