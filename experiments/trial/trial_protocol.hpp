// How a trial ends, the same for pretraining and fine-tuning
// (docs/sweeps.md, "The trainer protocol"): the exit code (util/trial_exit.hpp)
// and what result.json says agree, a refusal found before anything was
// written leaves nothing behind, and a failure never replaces a completed
// result.
#pragma once
#include <functional>
#include <string>

#include "experiments/config/config.hpp"
#include "experiments/trial/result_record.hpp"
#include "experiments/trial/trial_refused.hpp"

namespace altup {

// Runs `body` (the trial's whole run, returning a TrialExit). What it throws
// becomes: TrialRefused -> the message, kBadConfig; anything else -> the
// message, a failure record in `run_dir`/result.json keeping what the trial
// had written (unless that is a completed result, which is kept as it is),
// kFailed. Never throws.
int run_trial_protocol(const Config& cfg, const std::string& run_dir, const TrialLabels& who, const std::function<int()>& body);

}  // namespace altup
