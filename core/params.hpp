// Parameters live in one flat buffer and their gradients in another, with a
// view per parameter (llm.c style): zeroing, clipping, the optimizer and an
// MPI allreduce are each one pass over one buffer.
#pragma once
#include <string>
#include <vector>

#include "core/autograd.hpp"
#include "core/rng.hpp"

namespace altup {

enum class Init { normal, truncated_normal, zeros, ones, identity, values };

// What a parameter is for, as its parameter counts report it: the token and
// position tables (and what maps them into the blocks), AltUp's own
// per-layer parameters, or the rest of the network (the head included).
enum class ParamKind { body, embedding, altup };

struct ParamInfo {
    std::string name;     // stable dotted name, e.g. blocks.3.attn.q.weight
    Shape shape;
    int64_t offset = 0;   // into the flat buffers; a multiple of ParamStore::kAlign unless placed `follows`
    Init init = Init::normal;
    float std = 0.02f;
    bool decay = true;    // weight decay applies (matrices yes, norms/biases/scalars no)
    ParamKind kind = ParamKind::body;
    std::vector<float> values;  // for Init::values: the exact initial contents
    Var var;
};

class ParamStore {
public:
    // Every parameter starts on a 64-byte boundary (16 floats). Packed tightly,
    // AltUp's K^2+K scalars per layer shifted every later weight off the cache
    // line, and oneDNN's kernels then read each row across two lines: the
    // Recycled model's head products ran ~20% slower than the same products
    // in the baseline. The gaps are zero and stay zero (zero gradient).
    static constexpr int64_t kAlign = 16;
    int64_t total() const { return total_; }  // floats in the flat buffers, gaps included
    int64_t count() const;                    // parameters' elements, gaps excluded
    // Registers a parameter; its storage exists only after finalize(). With
    // `follows` it starts right where the previous one ends (no alignment gap),
    // so that several parameters can be read as one (fused q/k/v projections).
    enum class Place { aligned, follows };
    Var add(const std::string& name, const Shape& shape, Init init, float std = 0.02f, bool decay = true,
            Place place = Place::aligned, ParamKind kind = ParamKind::body);
    // A parameter initialised to given values (e.g. AltUp-style scalars).
    Var add_values(const std::string& name, const Shape& shape, std::vector<float> values, bool decay = false,
                   ParamKind kind = ParamKind::body);
    // Allocates the flat buffers, binds every parameter to its view and
    // initialises in registration order from `rng` (so a seed fixes the weights).
    void finalize(Rng& rng);
    bool finalized() const { return data_.defined(); }

    const Tensor& data() const { return data_; }
    const Tensor& grad() const { return grad_; }
    std::vector<ParamInfo>& params() { return params_; }
    const std::vector<ParamInfo>& params() const { return params_; }
    const ParamInfo* find(const std::string& name) const;

    void zero_grad() const { grad_.zero(); }

private:
    std::vector<ParamInfo> params_;
    int64_t total_ = 0;
    Tensor data_, grad_;
};

// Fills `t` according to init (identity needs a square 2-D shape).
void initialize(const Tensor& t, Init init, float std, Rng& rng);

// The global L2 norm of the gradients of one or several stores (fine-tuning:
// the model and a task head count as one set).
double grad_norm(const std::vector<const ParamStore*>& stores);
// The factor that brings a gradient of L2 norm `norm` to at most max_norm
// (1 when it is within, or when max_norm <= 0). The trainers hand it to
// Optimizer::step rather than scaling the gradients in a pass of their own.
float clip_factor(double norm, double max_norm);

}  // namespace altup
