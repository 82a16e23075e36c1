// AltUp wrappers (docs/architecture.md). The K blocks of width d are stored
// token-major in one [N, K*d] tensor.
#pragma once
#include <functional>
#include <string>
#include <utility>

#include "core/params.hpp"
#include "layers/model_config.hpp"

namespace altup {

using LayerFn = std::function<Var(const Var&)>;

// Paper AltUp around layer l: predict every block from all blocks (K x K
// scalars), run the layer on block j* only, correct every block with K gains:
//   xhat_i = sum_j p[i][j] x_j;  xtilde = L(x_j* or xhat_j*);
//   y_i = xhat_i + g_i (xtilde - xhat_j*)
// Initialised at p = I, g = 1: every block receives the layer's update.
//
// Between layers the widened representation travels with, when the step that
// made it wrote one in passing, a contiguous copy of the block the next layer
// reads: that layer then needs no slice of x (nor its backward). Recycled's
// embedding travels as one block standing for all K.
struct Widened {
    Widened(Var x_, Var block_ = nullptr, int j_ = -1, bool replicated_ = false)
        : x(std::move(x_)), block(std::move(block_)), j(j_), replicated(replicated_) {}
    Var x;            // [N, K*d] ([N, d] when replicated)
    Var block;        // x's block j as [N, d], or null
    int j;
    bool replicated;  // x is one block, the same in all K
    // x as [N, K*d] (replicated blocks copied out).
    Var full(int k) const;
};

class AltUpWrapper {
public:
    virtual ~AltUpWrapper() = default;
    // x [N, K*d] -> [N, K*d]; `layer` maps one block [N, d] -> [N, d].
    Var forward(const Var& x, const LayerFn& layer) const { return forward(Widened{x}, layer, -1).x; }
    // The same between layers: next_j is the next wrapper's input_block()
    // (-1: none wanted), the block the result should carry if it can.
    virtual Widened forward(const Widened& in, const LayerFn& layer, int next_j) const = 0;
    // The last layer when the model's output is sum_i w_i y_i ([N, d]): that
    // sum, computed without writing y out where the wrapper can.
    virtual Var forward_summed(const Widened& in, const LayerFn& layer, const Var& w) const;
    // The block of x the layer reads as it is, or -1 when it reads a prediction.
    virtual int input_block() const { return -1; }
};

class AltUpLayer : public AltUpWrapper {
public:
    AltUpLayer(ParamStore& store, const std::string& prefix, int k, int layer_index, const AltUpConfig& cfg);
    int activated_block() const { return j_; }
    using AltUpWrapper::forward;
    Widened forward(const Widened& in, const LayerFn& layer, int next_j) const override;
    Var forward_summed(const Widened& in, const LayerFn& layer, const Var& w) const override;
    int input_block() const override;
private:
    Var input_block_of(const Widened& in) const;  // x's block j_, sliced only when not at hand
    int k_, j_;
    AltUpComputeOn compute_on_;
    Var predict_, correct_;
};

// Gemma 3n-style AltUp (the comparison variant in docs/architecture.md):
// per-token coefficients from a router m = tanh(W_r RMSNorm(x_0) / d);
// xhat = x + C(m) x with C(m) = reshape(W_p m, K x K) clipped to +-120; the
// layer runs on xhat_0; y_i = xhat_i + g_i (xtilde - xhat_0) with
// g = 1 + W_c m', m' the router applied to the layer output. W_p and W_c start
// at zero, so at initialisation it matches the paper's p = I, g = 1.
class Gemma3nAltUpLayer : public AltUpWrapper {
public:
    Gemma3nAltUpLayer(ParamStore& store, const std::string& prefix, int k, int64_t d);
    using AltUpWrapper::forward;
    Widened forward(const Widened& in, const LayerFn& layer, int next_j) const override;
private:
    Var router_modalities(const Var& block) const;  // [N, d] -> [N, K]
    int k_;
    int64_t d_;
    Var router_norm_, router_, predict_coefs_, correct_coefs_, ones_;
};

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
