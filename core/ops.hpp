// Differentiable ops. Each returns a new Var and records its backward on the
// tape (see autograd.hpp). Shapes: N = rows (tokens), d/K/V as in the paper.
// Heavy ops run on oneDNN primitives (core/dnn.hpp); the rest are plain loops.
#pragma once
#include <cstdint>
#include <vector>

#include "core/autograd.hpp"
#include "core/choices.hpp"

namespace altup {

// ---- products (ops_matmul.cpp). Every product op takes the precision its
// inputs are multiplied in (train.dtype; core/dnn.hpp says what bf16 does),
// for the forward and the backward products alike. The model's layers pass
// the one they were built with.
// a [..., K] (leading dims flattened to M) times b [K, N] (or b [N, K] with
// trans_b) -> [..., N].
Var matmul(const Var& a, const Var& b, bool trans_b = false, Precision precision = Precision::f32);
// Batched: a [B..., M, K] times b [B..., K, N] (b [B..., N, K] with trans_b),
// same leading dims, scaled by alpha -> [B..., M, N].
Var bmm(const Var& a, const Var& b, bool trans_b = false, float alpha = 1.0f, Precision precision = Precision::f32);
// y = x W^T + bias; x [..., K], W [N, K] (PyTorch/safetensors layout), bias [N] or null.
// Rows::varying: x's row count changes from call to call (an MoE expert's
// tokens), so no product is given a primitive of its own size.
enum class Rows { fixed, varying };
Var linear(const Var& x, const Var& weight, const Var& bias, Rows rows = Rows::fixed,
           Precision precision = Precision::f32);

// ---- elementwise (ops_elementwise.cpp). b's shape must equal a's or be a
// suffix of it (broadcast over leading dims).
Var add(const Var& a, const Var& b);
Var sub(const Var& a, const Var& b);
Var mul(const Var& a, const Var& b);
Var scale(const Var& a, float s);
Var gelu(const Var& x);   // tanh approximation
Var relu(const Var& x);
Var tanh(const Var& x);
// min(max(x, lo), hi); the gradient passes where lo < x < hi.
Var clamp(const Var& x, float lo, float hi);

// ---- softmax (ops_softmax.cpp), over the last axis.
Var softmax(const Var& x);

// ---- attention (ops_attention.cpp)
// Causal multi-head self-attention from packed projections: qkv [B*T, 3d]
// (q | k | v per token, heads of d/H contiguous within each) -> [B*T, d] with
// heads merged: softmax(q k^T / sqrt(d/H), keys <= query) v per head.
Var causal_attention(const Var& qkv, int64_t B, int64_t T, int64_t H, Precision precision = Precision::f32);

// ---- norms (ops_norm.cpp), over the last axis.
Var layernorm(const Var& x, const Var& gamma, const Var& beta, float eps = 1e-5f);
Var rmsnorm(const Var& x, const Var& gamma, float eps = 1e-6f);
// Rescales each row of y to the RMS of the same row of ref:
// y * rms(ref) / rms(y), rms(v) = sqrt(mean(v^2) + eps). Gemma 3n's AltUp
// projections use it to keep every block at block 0's magnitude.
Var rms_match(const Var& y, const Var& ref, float eps = 1e-6f);

// ---- indexing and shape (ops_indexing.cpp)
// rows of table [V, d] picked by ids -> [n, d]; backward scatter-adds.
Var embedding(const Var& table, const std::vector<int32_t>& ids);
Var concat(const std::vector<Var>& xs);                  // along the last axis
Var slice(const Var& x, int64_t start, int64_t len);     // along the last axis
Var reshape(const Var& x, const Shape& shape);           // a view; grad flows through
Var transpose_heads(const Var& x);                       // [B, T, H, D] <-> [B, H, T, D]
Var gather_rows(const Var& x, const std::vector<int32_t>& rows);           // x [N, d] -> [n, d]
// out [num_rows, d] = sum over i of weights[i] * src[i] placed at row rows[i]
// (weights may be null = all ones). The MoE combine step.
Var scatter_add_rows(const Var& src, const std::vector<int32_t>& rows, const Var& weights, int64_t num_rows);

// ---- reductions (ops_reduce.cpp)
Var sum(const Var& x);    // -> scalar [1]
Var mean(const Var& x);   // -> scalar [1]

// ---- loss (ops_loss.cpp)
// Fused log-softmax + mean cross-entropy over rows whose target != ignore_index.
// logits [N, V], targets N ints -> scalar [1].
Var cross_entropy(const Var& logits, const std::vector<int32_t>& targets, int32_t ignore_index = -100);
// The LM head fused with its loss (ops_head.cpp): the mean cross_entropy of
// logits = h W^T (h [N, K], W [V, K], no bias), with the logits' gradient
// made inside the op. `logits` holds the [N, V] values (for accuracy); no
// gradient flows through it.
struct HeadLoss {
    Var loss;
    Var logits;
};
HeadLoss head_cross_entropy(const Var& h, const Var& weight, const std::vector<int32_t>& targets,
                            Precision precision = Precision::f32, int32_t ignore_index = -100);

// ---- AltUp (ops_altup.cpp). Blocks are stored token-major: x [N, K*d].
// Sum of tensors weighted by scalar parameters: sum_k w[k] * xs[k]; w [K].
Var weighted_sum(const std::vector<Var>& xs, const Var& w);
// The K blocks of x [N, K*d] summed with weights w [K]: y[n] = sum_i w[i] x[n, i]
// (AltUp's output). Equal to weighted_sum over the K slices, in one pass.
Var altup_block_sum(const Var& x, const Var& w, int k);
// predict: xhat[n, i] = sum_j p[i][j] * x[n, j]   (p [K, K])
Var altup_predict(const Var& x, const Var& p, int k);
// correct: y[n, i] = xhat[n, i] + g[i] * (xtilde[n] - xhat[n, j])   (g [K], xtilde [N, d])
Var altup_correct(const Var& xhat, const Var& xtilde, const Var& g, int k, int j);
// The two fused: altup_correct(altup_predict(x, p, k), xtilde, g, k, j) in
// one pass over the K blocks forward and one backward (xhat is recomputed,
// never stored). For the paper's AltUp, where the layer reads x's block j.
Var altup_predict_correct(const Var& x, const Var& xtilde, const Var& p, const Var& g, int k, int j);
// What the fused op does besides, between layers (all off by default):
struct AltUpFusion {
    // Also return y's block next_j as a contiguous [N, d] tensor written in the
    // same pass: the next layer's input, without a slice of y. Its gradient is
    // added to y's block before y's backward runs.
    int next_j = -1;
    // x is [N, d] and stands for K equal blocks (Recycled-AltUp's first layer:
    // the embedding is never copied K times, and its gradient is summed here).
    bool x_replicated = false;
    // [K]: return sum_i w_i y_i [N, d] instead of y, which is never written out
    // (the last layer, when the model's output sums or averages the blocks).
    Var out_weights;
};
// What the fused op returns.
struct AltUpFused {
    Var y;         // y [N, K*d], or its weighted block sum [N, d] with out_weights
    Var selected;  // y's block next_j [N, d], or null
};
AltUpFused altup_predict_correct_fused(const Var& x, const Var& xtilde, const Var& p, const Var& g, int k, int j,
                                       const AltUpFusion& fuse);
// Sequence-AltUp (docs/architecture.md): a layer ran on the tokens at positions
// o, o+s, o+2s, ... of each sequence (offset 0 <= o < s), giving xtilde
// [B*T/s, d]. Token t >= o with computed token c = o + floor((t-o)/s)*s <= t gets
//   y_t = xtilde_c                                   when t = c,
//   y_t = a x_t + b x_c + g (xtilde_c - x_c)          otherwise (coef = [a, b, g]),
//   y_t = x_t                                         otherwise, when coef is null
//                                                     (the stride-and-skip baseline);
// tokens t < o have no computed token on their left and pass through (y_t = x_t).
// x [B*T, d]. Only tokens at or before t are read: causality holds.
Var sequence_altup_mix(const Var& x, const Var& xtilde, const Var& coef, int64_t B, int64_t T, int64_t stride,
                       int64_t offset = 0);

}  // namespace altup
