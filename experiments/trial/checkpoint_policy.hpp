// What a trial folder keeps of its checkpoints (train.checkpoint, docs/config.md):
// while training, one resumable ckpt.safetensors (overwritten); once the trial
// completed, `final` keeps its weights only, `all` keeps every checkpoint it
// wrote (ckpt-step-N.safetensors beside the last), `none` keeps nothing.
#pragma once
#include <functional>
#include <string>

#include "experiments/config/choices.hpp"

namespace altup {

// The `contents` metadata of a weights-only checkpoint (no optimizer state):
// fine-tuning and export read it, resuming refuses it.
inline constexpr const char* kFinalWeights = "final weights";

// train.checkpoint: all. A copy of the checkpoint just written, as ckpt-step-<step>.safetensors beside it.
void keep_step_copy(const std::string& checkpoint, long long step);

// After the completed result is written: `final` calls write_weights (which
// replaces the checkpoint by the weights alone), `none` removes it, `all`
// keeps it. A kill before this leaves the resumable checkpoint, never none.
void finish_checkpoints(CheckpointKeep policy, const std::string& checkpoint, const std::function<void()>& write_weights);

}  // namespace altup
