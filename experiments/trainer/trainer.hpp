// One trial, end to end: data, model, optimizer, the training loop with
// evaluation, checkpoints and honest speed measurement, and the result files
// described in docs/result-files.md.
#pragma once
#include <map>
#include <string>

#include "experiments/config/config.hpp"
#include "experiments/trial/stop_request.hpp"  // install_stop_handlers(), for the command line
#include "util/trial_exit.hpp"

namespace altup {

struct TrainOptions {
    std::string run_dir;                        // where config.yaml, metrics.jsonl, result.json, ckpt go
    bool resume = false;                        // continue from run_dir/ckpt.safetensors when present
    bool quiet = false;
    double progress_every_s = 0;                // with quiet: still a plain progress line this often (0 = none);
                                                // how a sweep trial's train.log shows it is alive
    std::string sweep;                          // recorded in result.json
    std::map<std::string, std::string> labels;  // recorded in result.json
    int64_t stop_after_step = -1;               // tests: behave as if interrupted after this step
    std::string pretrained_dir;                 // fine-tuning: what finetune.from = pretrain means (--pretrained)
    std::string runs_root = "runs";             // fine-tuning: where a trial id in finetune.from is looked up
};

// Runs the trial; returns one of TrialExit (util/trial_exit.hpp). Never throws: failures are
// recorded in result.json (status failed) and reported on stderr.
int run_trial(const Config& cfg, const TrainOptions& opts);

}  // namespace altup
