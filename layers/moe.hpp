// Mixture-of-Experts FFN (Switch Transformer style): a learned router d -> E,
// top-1 (or top-2) routing, outputs weighted by the router probability, a
// capacity per expert (tokens over it skip the FFN and ride the residual), and
// the load-balancing auxiliary loss E * sum_e f_e * P_e.
// Dispatch gathers each expert's tokens into one contiguous matrix, so every
// expert is one pair of matmuls.
#pragma once
#include <string>
#include <vector>

#include "core/params.hpp"
#include "layers/ffn.hpp"
#include "layers/model_config.hpp"

namespace altup {

struct MoERouting {
    std::vector<std::vector<int32_t>> tokens;  // per expert: token rows, in token order
    std::vector<int32_t> top1;                 // per token: its first-choice expert
    int64_t capacity = 0;
    int64_t dropped = 0;                       // (token, choice) pairs over capacity
};

// Top-k choice per token from router probabilities [N, E]; first choices are
// placed before second choices, each expert keeps at most `capacity` tokens.
MoERouting route_tokens(const Tensor& probs, int top_k, double capacity_factor);

// Switch load-balancing loss: E * sum_e f_e * P_e, with f_e the fraction of
// tokens whose first choice is e (a constant) and P_e the mean probability.
Var load_balancing_loss(const Var& probs, const std::vector<int32_t>& top1, int64_t experts);

class MixtureOfExperts {
public:
    // precision: what the router's and the experts' products multiply in (train.dtype).
    MixtureOfExperts(ParamStore& store, const std::string& prefix, int64_t d, int64_t d_ff, Activation act,
                     const MoEConfig& cfg, float init_std, int layers, Precision precision = Precision::f32);
    // x [N, d] -> [N, d]; adds this layer's (unscaled) auxiliary loss to *aux.
    Var forward(const Var& x, Var* aux);
    // Evaluation drops no token: every token reaches its chosen experts (the
    // capacity limit is a training-time cost control, as in Switch).
    void set_training(bool training) { training_ = training; }
    // Tests: route by these first choices instead of the argmax (top-1 only).
    void force_routing(std::vector<int32_t> top1) { forced_ = std::move(top1); }
    const MoERouting& last_routing() const { return last_; }
private:
    MoEConfig cfg_;
    Precision precision_;
    Var router_;
    std::vector<FeedForward> experts_;
    std::vector<int32_t> forced_;
    MoERouting last_;
    bool training_ = true;
};

}  // namespace altup
