// AltUp wrappers (../shared/docs/altup.md). The K blocks of width d are stored
// token-major in one [N, K*d] tensor.
#pragma once
#include <functional>
#include <string>

#include "core/params.hpp"
#include "layers/model_config.hpp"

namespace altup {

using LayerFn = std::function<Var(const Var&)>;

// Paper AltUp around layer l: predict every block from all blocks (K x K
// scalars), run the layer on block j* only, correct every block with K gains:
//   xhat_i = sum_j p[i][j] x_j;  xtilde = L(x_j* or xhat_j*);
//   y_i = xhat_i + g_i (xtilde - xhat_j*)
// Initialised at p = I, g = 1: every block receives the layer's update.
class AltUpLayer {
public:
    AltUpLayer(ParamStore& store, const std::string& prefix, int k, int layer_index, const AltUpConfig& cfg);
    int activated_block() const { return j_; }
    Var forward(const Var& x, const LayerFn& layer) const;
private:
    int k_, j_;
    AltUpComputeOn compute_on_;
    Var predict_, correct_;
};

// Sequence-AltUp around a layer: the layer sees every s-th token only (a
// sequence of T/s), the others are predicted and corrected with three scalars
// (or passed through unchanged in `skip` mode, the stride-and-skip baseline).
class SequenceAltUpLayer {
public:
    SequenceAltUpLayer(ParamStore& store, const std::string& prefix, const SequenceAltUpConfig& cfg);
    // x [B*T, W]; layer(x_sub, T_sub) runs on the computed tokens [B*T/s, W].
    Var forward(const Var& x, int64_t B, int64_t T, const std::function<Var(const Var&, int64_t)>& layer) const;
private:
    int64_t stride_;
    Var coef_;  // [a, b, g], null in skip mode
};

}  // namespace altup
