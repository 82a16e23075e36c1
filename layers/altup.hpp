// AltUp wrappers (docs/architecture.md). The K blocks of width d are stored
// token-major in one [N, K*d] tensor.
#pragma once
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/params.hpp"
#include "layers/model_config.hpp"
#include "layers/variant.hpp"

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

// Forward FLOPs per token of one predict-and-correct over K blocks of width d:
// K*K*d multiply-adds to predict, 3*K*d more to correct (2 FLOPs per multiply-add).
inline double altup_wrapper_flops(int64_t k, int64_t d) { return 2.0 * k * k * d + 3.0 * k * d; }

// The paper's wrappers over the whole stack, for AltUp and Recycled-AltUp:
// each layer is told which block the next one reads (the look-ahead), and
// with output weights the last layer returns sum_i w_i y_i without writing y.
class AltUpStack {
public:
    AltUpStack(int k, const AltUpConfig& cfg) : k_(k), cfg_(cfg) {}
    void add_layer(ParamStore& store, const std::string& prefix, int l);
    // x through every layer: y [N, K*d], or with out_weights [K] the block sum [N, d].
    Var run(Widened x, const LayerAt& layer, const Var& out_weights) const;
    double flops_per_token(int64_t d) const { return altup_wrapper_flops(k_, d); }
private:
    int k_;
    AltUpConfig cfg_;
    std::vector<std::unique_ptr<AltUpLayer>> layers_;
};

}  // namespace altup
