// Optimizers over the flat parameter buffer, and learning-rate schedules.
#pragma once
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/choices.hpp"
#include "core/params.hpp"

namespace altup {

class Optimizer {
public:
    virtual ~Optimizer() = default;
    // One update with learning rate lr from the gradients in store.grad(),
    // each multiplied by grad_scale first (the clipping factor), leaving the
    // gradients zeroed for the next step. Both are folded into the update's
    // pass over the parameters: separate passes cost time (memory-bound).
    virtual void step(double lr, float grad_scale = 1.0f) = 0;
    int64_t steps_taken() const { return t_; }
    void set_steps_taken(int64_t t) { t_ = t; }
    // Named state tensors, for checkpoints (written and restored in place).
    virtual std::vector<std::pair<std::string, Tensor>> state() = 0;
protected:
    int64_t t_ = 0;
};

// AdamW (Loshchilov & Hutter): Adam moments with bias correction, weight decay
// decoupled from the gradient and applied to params with `decay` set.
class AdamW : public Optimizer {
public:
    AdamW(ParamStore& store, double beta1, double beta2, double eps, double weight_decay);
    void step(double lr, float grad_scale = 1.0f) override;
    std::vector<std::pair<std::string, Tensor>> state() override;
private:
    struct Span {  // consecutive parameters that share the weight-decay flag
        int64_t begin, end;
        bool decay;
    };
    ParamStore& store_;
    double beta1_, beta2_, eps_, wd_;
    Tensor m_, v_;
    std::vector<Span> spans_;
};

// Adafactor (Shazeer & Stern 2018), as T5 trains with it: no momentum,
// beta2_t = 1 - t^-0.8, second moments factored into row and column means for
// matrices (full for vectors), eps1 = 1e-30, update clipped to RMS <= 1.
// The step size is the schedule's lr (relative step sizes are not used), and
// weight decay, if any, is decoupled as in AdamW.
class Adafactor : public Optimizer {
public:
    Adafactor(ParamStore& store, double weight_decay, double clip_threshold = 1.0, double decay_rate = 0.8);
    void step(double lr, float grad_scale = 1.0f) override;
    std::vector<std::pair<std::string, Tensor>> state() override;
private:
    ParamStore& store_;
    double wd_, clip_, decay_rate_;
    std::vector<Tensor> row_, col_, full_;  // per parameter: factored (row, col) or full
    Tensor update_;                         // scratch, one parameter's size at most
};

std::unique_ptr<Optimizer> make_optimizer(OptimizerKind kind, ParamStore& store, double beta1, double beta2,
                                          double eps, double weight_decay);

// Linear warmup, then cosine decay to min_ratio*lr at total_steps, or inverse
// square root (lr * sqrt(warmup / max(step, warmup))), or constant after warmup.
struct LrSchedule {
    ScheduleKind kind = ScheduleKind::cosine;
    double lr = 1e-3;
    int64_t warmup = 0;
    int64_t total_steps = 1;
    double min_ratio = 0.1;
    double at(int64_t step) const;  // step counts from 0
};

}  // namespace altup
