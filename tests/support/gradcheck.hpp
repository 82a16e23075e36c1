// Finite-difference gradient checking, shared by the core and layers tests.
// The scalar checked is f = sum(output * R) for a fixed random R, so every
// output element contributes (see docs/onednn.md, "Testing gradients").
#pragma once
#include <cmath>
#include <functional>
#include <string>
#include <vector>

#include "core/autograd.hpp"
#include "core/ops.hpp"
#include "core/rng.hpp"

namespace altup::testing {

inline Tensor random_tensor(const Shape& shape, Rng& rng, float scale = 1.0f) {
    Tensor t = Tensor::empty(shape);
    for (int64_t i = 0; i < t.numel(); ++i) t.data()[i] = static_cast<float>(rng.normal()) * scale;
    return t;
}

struct GradCheckResult {
    double max_rel_error = 0.0;
    std::string worst;  // which input and index, for the failure message
};

// Checks d/d(inputs) of sum(fn(inputs) * R) against central differences,
// extrapolated (Richardson): D(h) = (f(x+h) - f(x-h)) / 2h errs by c h^2 + O(h^4),
// so (4 D(h/2) - D(h)) / 3 errs by O(h^4) and what is left is the f32
// rounding of the forward pass. Relative error per element:
// |a - n| / max(floor, |a| + |n|), so near-zero gradients compare absolutely.
inline GradCheckResult grad_check(const std::function<Var(const std::vector<Var>&)>& fn, std::vector<Var> inputs,
                                  uint64_t seed = 7, float eps = 4e-2f, double floor = 1e-2) {
    Rng rng(seed);
    Tensor R;
    {
        NoGradGuard ng;
        Var probe = fn(inputs);
        R = random_tensor(probe->value.shape(), rng);
    }
    auto objective = [&]() {
        NoGradGuard ng;
        Var out = fn(inputs);
        double s = 0.0;
        for (int64_t i = 0; i < out->value.numel(); ++i) s += double(out->value.data()[i]) * R.data()[i];
        return s;
    };
    // Zero (not drop) existing gradients: parameters' grads are views into the flat buffer.
    for (auto& in : inputs)
        if (in->grad.defined()) in->grad.zero();
    Var out = fn(inputs);
    Var loss = sum(mul(out, leaf(R)));
    backward(loss);

    GradCheckResult res;
    for (size_t k = 0; k < inputs.size(); ++k) {
        Var& in = inputs[k];
        if (!in->requires_grad) continue;
        for (int64_t i = 0; i < in->value.numel(); ++i) {
            float& x = in->value.data()[i];
            const float orig = x;
            // The steps actually taken (x +- h rounds in f32), so D divides by what moved.
            auto central = [&](float h) {
                const float up = orig + h, down = orig - h;
                x = up;
                const double fp = objective();
                x = down;
                const double fm = objective();
                x = orig;
                return (fp - fm) / (double(up) - double(down));
            };
            const double numeric = (4.0 * central(eps / 2) - central(eps)) / 3.0;
            const double analytic = in->grad.defined() ? in->grad.data()[i] : 0.0;
            const double rel = std::fabs(analytic - numeric) / std::max(floor, std::fabs(analytic) + std::fabs(numeric));
            if (rel > res.max_rel_error) {
                res.max_rel_error = rel;
                res.worst = "input " + std::to_string(k) + " element " + std::to_string(i) + ": analytic " +
                            std::to_string(analytic) + " vs numeric " + std::to_string(numeric);
            }
        }
    }
    return res;
}

}  // namespace altup::testing

// Asserts grad_check(fn, inputs) stays under the relative error kTol (which the
// including test file states), printing the worst element when it does not.
#define CHECK_GRAD(fn, inputs)                                         \
    do {                                                               \
        auto grad_result_ = altup::testing::grad_check(fn, inputs);    \
        INFO("worst: " << grad_result_.worst);                         \
        CHECK(grad_result_.max_rel_error < kTol);                      \
    } while (0)
