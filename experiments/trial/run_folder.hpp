// Whether this process may write into a run folder as one trial: the one
// check pretraining (trainer.cpp) and fine-tuning (finetune.cpp) make before
// they write anything, so a mistyped --run-dir or finetune.from never
// replaces another trial's result, config or checkpoint (docs/result-files.md).
#pragma once
#include <stdexcept>
#include <string>
#include <vector>

#include "experiments/trial/trial_refused.hpp"
#include "util/trial_lock.hpp"

namespace altup {

// The folder is someone else's (or overlaps what the trial reads). The
// message names the folder, what it holds and the fix; nothing was written.
struct RunFolderRefused : TrialRefused {
    using TrialRefused::TrialRefused;
};

// Throws RunFolderRefused when `run_dir` holds files of a trial other than
// `trial_id` (result.json's "trial_id", the config id of config.yaml, the
// "trial_id" metadata of ckpt.safetensors), when one of them does not say
// whose it is, or when one of `sources` (files or folders the trial reads,
// e.g. the pretrained checkpoint) is the folder, lies inside it or contains
// it. A missing or empty folder is fine. Reads only.
void check_run_folder(const std::string& run_dir, const std::string& trial_id, const std::vector<std::string>& sources = {});

// Takes the trial's lock, `run_dir`/.lock (util/trial_lock.hpp, the one the
// sweep runner takes), so that two trainers never run one trial at once.
// When the lock is already this process's through a descriptor it inherited
// (the sweep runner's, or flock(1)'s in a Slurm task) it is used as is and
// the returned lock is not held(). Throws RunFolderRefused when another
// process holds it. Call after check_run_folder, on an existing folder.
TrialLock lock_run_folder(const std::string& run_dir, const std::string& trial_id);

// True when `run_dir`/result.json records trial `trial_id` as completed: a
// later failure (say, a corrupt checkpoint on --resume) must not replace it.
bool holds_completed_result(const std::string& run_dir, const std::string& trial_id);

}  // namespace altup
