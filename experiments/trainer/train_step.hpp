// One optimizer step exactly as a pretraining trial takes it, shared by the
// trainer and `altup bench` (which must time the very step the trainer runs).
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/optim.hpp"
#include "experiments/config/config.hpp"
#include "experiments/trainer/distributed.hpp"
#include "layers/model.hpp"

namespace altup {

// Forward and backward over train.grad_accum micro-batches, the gradient mean
// over MPI ranks, global-norm clipping (train.clip) and the optimizer update,
// which leaves the gradients zeroed.
class TrainStep {
public:
    // Fills one micro-batch of the global batch [train.batch, model.seq_len]: inputs, then targets.
    using BatchSource = std::function<void(int32_t* inputs, int32_t* targets)>;

    TrainStep(LanguageModel& model, Optimizer& optim, const Distributed& dist, const Config& cfg);

    // Returns the mean training loss over the micro-batches (and the ranks).
    // A non-finite loss updates nothing: the gradients are zeroed, the
    // parameters and the optimizer state stay as they were.
    double run(const BatchSource& next_batch, double lr);

private:
    LanguageModel& model_;
    Optimizer& optim_;
    const Distributed& dist_;
    int64_t B_, T_, local_B_, first_row_;
    int grad_accum_;
    double clip_;
    std::string optimizer_name_;  // the profiler's name for the update ("adamw")
    std::vector<int32_t> inputs_, targets_, local_in_, local_tgt_;
};

// Training FLOPs of one optimizer step: 3x the analytic forward FLOPs
// (forward + backward), over every token of the global batch.
double flops_per_step(const LanguageModel& model, const Config& cfg);

}  // namespace altup
