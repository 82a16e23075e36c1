// A fine-tuning trial (docs/finetune.md): the pretrained model named by
// finetune.from, a task head on what the model feeds its LM head, trained on
// Brown documents its pretraining never trained on and scored on others.
// Same protocol as a pretraining trial: result.json, metrics.jsonl,
// checkpoints, resume, exit codes.
#pragma once
#include "experiments/config/config.hpp"
#include "experiments/trainer/trainer.hpp"

namespace altup {

// Runs the fine-tuning trial described by cfg.finetune; returns one of
// TrialExit (util/trial_exit.hpp). Never throws: failures end up in result.json.
int run_finetune(const Config& cfg, const TrainOptions& opts);

}  // namespace altup
