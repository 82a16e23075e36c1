#include "experiments/trainer/train_step.hpp"

#include <algorithm>
#include <cmath>

#include "core/ops.hpp"
#include "core/profiler.hpp"

namespace altup {

TrainStep::TrainStep(LanguageModel& model, Optimizer& optim, const Distributed& dist, const Config& cfg)
    : model_(model), optim_(optim), dist_(dist), B_(cfg.train.batch), T_(cfg.model.seq_len),
      local_B_(cfg.train.batch / dist.size()), first_row_(int64_t(dist.rank()) * local_B_ * T_),
      grad_accum_(cfg.train.grad_accum), clip_(cfg.train.clip), optimizer_name_(to_string(cfg.train.optimizer)), inputs_(B_ * T_), targets_(B_ * T_),
      local_in_(local_B_ * T_), local_tgt_(local_B_ * T_) {}

double TrainStep::run(const BatchSource& next_batch, double lr) {
    // Every rank draws the whole global batch from the shared RNG stream and
    // trains on its slice, so the union over ranks is the single-process batch.
    double loss_sum = 0;
    for (int micro = 0; micro < grad_accum_; ++micro) {
        next_batch(inputs_.data(), targets_.data());
        std::copy_n(inputs_.begin() + first_row_, local_B_ * T_, local_in_.begin());
        std::copy_n(targets_.begin() + first_row_, local_B_ * T_, local_tgt_.begin());
        ModelOutput out = model_.forward(local_in_, local_tgt_, local_B_, T_);
        Var loss = grad_accum_ > 1 ? scale(out.loss, 1.0f / float(grad_accum_)) : out.loss;
        loss_sum += double(out.ce->value.item());
        backward(loss);
    }
    // Gradients and the logged loss: means over ranks (equal slices, so the
    // mean of means is the global mean), one allreduce over the flat buffer.
    dist_.allreduce_mean(model_.params().grad().data(), model_.params().total());
    float loss_f = float(loss_sum / grad_accum_);
    dist_.allreduce_mean(&loss_f, 1);
    const double loss = dist_.size() > 1 ? double(loss_f) : loss_sum / grad_accum_;
    if (!std::isfinite(loss)) {
        model_.params().zero_grad();
        return loss;
    }
    double norm = 0;
    {
        profiler::Scope scope("grad_norm");  // (a flag check when profiling is off)
        norm = grad_norm({&model_.params()});
    }
    profiler::Scope scope(optimizer_name_.c_str());
    optim_.step(lr, clip_factor(norm, clip_));  // leaves the gradients zeroed
    return loss;
}

double flops_per_step(const LanguageModel& model, const Config& cfg) {
    const double tokens = double(cfg.train.batch) * cfg.train.grad_accum * cfg.model.seq_len;
    return 3.0 * model.forward_flops_per_token(cfg.model.seq_len) * tokens;
}

}  // namespace altup
