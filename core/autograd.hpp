// Reverse-mode autograd on a tape. Every op that runs while grad mode is on and
// has an input requiring grad appends its output node to the tape, with the
// closure that pushes the output's gradient back to its inputs. Nodes are
// appended in creation order, so walking the tape backwards is a topological
// order: backward() is one loop.
#pragma once
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/tensor.hpp"

namespace altup {

struct Node {
    Tensor value;
    Tensor grad;                       // allocated (zeroed) on first accumulation
    bool requires_grad = false;
    std::function<void(Node&)> backward;  // reads this->grad, accumulates into inputs
    std::vector<std::shared_ptr<Node>> inputs;  // keeps inputs alive until backward
    std::string name;                  // parameters carry their dotted name
    const char* op = "leaf";           // the op that made it (profiling)

    // The gradient buffer, zero-filled on first use.
    Tensor& grad_buffer();
    bool has_grad() const { return grad.defined(); }
    // The gradient buffer for an op that writes a whole contribution at once.
    // On first use it is left unfilled and `fresh` is set: the op then writes
    // (=) instead of adding (+=), which saves zeroing and re-reading it.
    Tensor& grad_buffer_for_write(bool& fresh);
};

using Var = std::shared_ptr<Node>;

// A leaf: data without history. requires_grad marks it as a parameter/input whose
// gradient is wanted.
Var leaf(Tensor value, bool requires_grad = false, std::string name = {});

// Is gradient recording on (not inside a NoGradGuard)?
bool grad_enabled();

// Evaluation mode: inside its scope, ops record nothing.
class NoGradGuard {
public:
    NoGradGuard();
    ~NoGradGuard();
    NoGradGuard(const NoGradGuard&) = delete;
    NoGradGuard& operator=(const NoGradGuard&) = delete;
private:
    bool previous_;
};

// Ops call this: creates the output node and, when any input requires grad and
// grad mode is on, records it on the tape with `backward`.
Var make_result(Tensor value, std::vector<Var> inputs, std::function<void(Node&)> backward);

// Seeds d(loss)/d(loss) = 1 (loss must have one element), runs the tape
// backwards, and clears it. Gradients accumulate (+=) into leaves' .grad.
void backward(const Var& loss);

// Drops the recorded tape without running it (e.g. after a diverged step).
void clear_tape();
size_t tape_size();

}  // namespace altup
