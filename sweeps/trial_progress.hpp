// How far a running trial is, read from the metrics.jsonl its trainer appends
// to (docs/result-files.md): the last training line's step, loss and time.
// The runner shows it live and bases its ETA on it.
#pragma once
#include <cstdint>
#include <optional>
#include <string>

namespace altup {

struct TrialProgress {
    int64_t step = 0;   // optimizer steps done
    double loss = 0;    // training loss at that step
    double time_s = 0;  // the trial's wall time up to it, over all its attempts (the trainer's time_s)
};

// The last complete {"kind": "train" (or "finetune_train"), ...} line of <run_dir>/metrics.jsonl;
// nullopt when there is none yet. A line being written (no newline yet) or
// not JSON is passed over, never an error: the file is another process's.
std::optional<TrialProgress> read_trial_progress(const std::string& run_dir);

}  // namespace altup
