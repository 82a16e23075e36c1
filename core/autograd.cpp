#include "core/autograd.hpp"

#include <stdexcept>

#include <chrono>
#include <string>

#include "core/profiler.hpp"

namespace altup {

namespace {
thread_local bool g_grad_enabled = true;
thread_local std::vector<Var> g_tape;
}  // namespace

Tensor& Node::grad_buffer() {
    if (!grad.defined()) grad = Tensor::zeros(value.shape());
    return grad;
}

Tensor& Node::grad_buffer_for_write(bool& fresh) {
    fresh = !grad.defined();
    if (fresh) grad = Tensor::empty(value.shape());
    return grad;
}

Var leaf(Tensor value, bool requires_grad, std::string name) {
    auto n = std::make_shared<Node>();
    n->value = std::move(value);
    n->requires_grad = requires_grad;
    n->name = std::move(name);
    return n;
}

bool grad_enabled() { return g_grad_enabled; }

NoGradGuard::NoGradGuard() : previous_(g_grad_enabled) { g_grad_enabled = false; }
NoGradGuard::~NoGradGuard() { g_grad_enabled = previous_; }

Var make_result(Tensor value, std::vector<Var> inputs, std::function<void(Node&)> backward_fn) {
    auto out = std::make_shared<Node>();
    out->value = std::move(value);
    out->op = profiler::current_op();
    if (!g_grad_enabled) return out;
    bool any = false;
    for (const auto& in : inputs) any = any || (in && in->requires_grad);
    if (!any) return out;
    out->requires_grad = true;
    out->inputs = std::move(inputs);
    out->backward = std::move(backward_fn);
    g_tape.push_back(out);
    return out;
}

void backward(const Var& loss) {
    if (loss->value.numel() != 1)
        throw std::invalid_argument("backward(): the loss must be a scalar, got shape " + shape_str(loss->value.shape()));
    if (!loss->requires_grad) throw std::invalid_argument("backward(): the loss does not depend on any parameter");
    loss->grad_buffer().fill(1.0f);
    try {
        for (auto it = g_tape.rbegin(); it != g_tape.rend(); ++it) {
            Node& n = **it;
            if (!n.has_grad() || !n.backward) continue;
            if (!profiler::enabled()) {
                n.backward(n);
                continue;
            }
            const auto t0 = std::chrono::steady_clock::now();
            n.backward(n);
            profiler::add((std::string(n.op) + ".bwd").c_str(),
                          std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
        }
    } catch (...) {
        clear_tape();  // a half-run tape must not leak into the next backward()
        throw;
    }
    clear_tape();
}

void clear_tape() {
    // Release in reverse so long chains don't recurse deeply in destructors.
    while (!g_tape.empty()) g_tape.pop_back();
}

size_t tape_size() { return g_tape.size(); }

}  // namespace altup
