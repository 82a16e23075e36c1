// How much memory a trial needs, estimated from its config before anything
// is allocated, so that a config this machine cannot hold is refused with the
// keys that drive it instead of dying in the allocator hours later.
//
// The estimate is a LOWER BOUND, on purpose: it counts only what training
// certainly holds at once, in f32 (4 bytes a value):
//   - parameters: token embedding, position table, per layer the attention's
//     four d x d projections and the FFN's two d x d_ff matrices (E of them in
//     an MoE layer, plus its d x E router), the output head; biases, norms and
//     AltUp's scalars are left out;
//   - training state: weights and gradients, plus AdamW's two moments (four
//     copies of the parameters), or two copies with Adafactor (its factored
//     moments are left out);
//   - activations kept for the backward pass, per layer: the K-wide AltUp
//     stream (batch x seq_len x K x d), and on the tokens the layer computes
//     (seq_len / stride with Sequence-AltUp) q, k, v, the attention output and
//     the FFN hidden (batch x tokens x (4 d + d_ff)) and the attention
//     probabilities (batch x heads x tokens^2);
//   - the vocab-sized logits and their gradient (2 x batch x seq_len x vocab);
//   - evaluation, which holds the weights, one K-wide stream and the logits of
//     eval.batch sequences, when that is more than training needs.
// Temporaries, oneDNN workspaces, the token cache and the allocator's slack
// come on top: a config refused for exceeding memory certainly does not fit;
// one accepted may still not.
#pragma once
#include <cstdint>
#include <string>

#include "experiments/config/config.hpp"

namespace altup {

struct MemoryEstimate {
    double parameters = 0;        // count of (counted) parameters
    double state_bytes = 0;       // weights, gradients, optimizer moments
    double activation_bytes = 0;  // kept for the backward pass
    double logits_bytes = 0;      // logits and their gradient
    double eval_bytes = 0;        // an evaluation batch on its own
    double training_bytes() const { return state_bytes + activation_bytes + logits_bytes; }
    double total_bytes() const { return training_bytes() > eval_bytes ? training_bytes() : eval_bytes; }
};

// The estimate for the config's training (finetune.batch for a fine-tuning
// trial, train.batch otherwise) and evaluation.
MemoryEstimate estimate_memory(const Config& c);

// The machine's physical memory in bytes (sysconf, else /proc/meminfo's
// MemTotal); 0 when neither says.
uint64_t physical_memory_bytes();

constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;

}  // namespace altup
