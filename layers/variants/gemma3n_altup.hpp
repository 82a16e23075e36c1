// The Gemma 3n-style AltUp variant: a d-wide token embedding projected into
// the K blocks, router-made predict and correct coefficients per token, and
// the blocks projected back and averaged before the head.
#pragma once
#include "layers/altup.hpp"

namespace altup {

// Gemma 3n-style AltUp (the comparison variant in docs/architecture.md;
// its wrapper is public for the tests that compare it with the paper's):
// per-token coefficients from a router m = tanh(W_r RMSNorm(x_0) / d);
// xhat = x + C(m) x with C(m) = reshape(W_p m, K x K) clipped to +-120; the
// layer runs on xhat_0; y_i = xhat_i + g_i (xtilde - xhat_0) with
// g = 1 + W_c m', m' the router applied to the layer output. W_p and W_c start
// at zero, so at initialisation it matches the paper's p = I, g = 1.
class Gemma3nAltUpLayer : public AltUpWrapper {
public:
    Gemma3nAltUpLayer(ParamStore& store, const std::string& prefix, int k, int64_t d,
                      Precision precision = Precision::f32);
    using AltUpWrapper::forward;
    Widened forward(const Widened& in, const LayerFn& layer, int next_j) const override;
private:
    Var router_modalities(const Var& block) const;  // [N, d] -> [N, K]
    int k_;
    int64_t d_;
    Precision precision_;
    Var router_norm_, router_, predict_coefs_, correct_coefs_, ones_;
};

}  // namespace altup
