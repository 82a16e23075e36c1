// The local runner: runs a sweep's pending trials as separate `altup train`
// processes, N at a time, resumable and safe to interrupt (docs/sweeps.md, "Runner").
#pragma once
#include <cstdio>
#include <string>
#include <vector>

#include "sweeps/sweep_expansion.hpp"
#include "sweeps/trial_state.hpp"

namespace altup {

struct RunnerOptions {
    std::string out_dir = "runs";      // trials go to <out_dir>/<sweep name>/<trial id>/
    int jobs = 1;                      // trials at a time
    int threads = 0;                   // per trial; 0 = cores / jobs
    bool retry_failed = false;         // re-run failed and diverged trials
    // The program and leading arguments; the runner appends
    // "<config.yaml> --run-dir <dir> --resume --quiet --progress-every <s> --sweep <name> --label k=v ...".
    // Empty = this executable's `train` subcommand.
    std::vector<std::string> trainer_command;
    std::FILE* progress = stdout;      // progress lines and the summary; nullptr = silent
    double progress_every_s = 30;      // a progress line at least this often while trials run
    double trial_log_every_s = 60;     // each trial's train.log gets a progress line this often (--progress-every)
};

// Cores this process may use (its CPU affinity), at least 1.
int available_cores();
// Threads for each of `jobs` concurrent trials, unless `requested` > 0.
int threads_per_trial(int cores, int jobs, int requested);

// The trial's resolved config as written to <trial dir>/config.yaml.
std::string trial_config_yaml(const Trial& trial);

// <out_dir>/<sweep name>/<trial id>
std::string trial_dir(const RunnerOptions& options, const SweepExpansion& sweep, const Trial& trial);
// The sweep and labels a trial's result.json must carry to be this trial's.
TrialOwner owner_of(const SweepExpansion& sweep, const Trial& trial);

// Two-stage sweeps: what result.json says for a fine-tune trial that is not
// started because its pretraining trial ended `status` (failed or diverged).
std::string not_fine_tuned_message(const Trial& pretraining, const std::string& status);

// A result.json (text) with status failed and `message`, for a trial that never
// wrote its own final result, so that `altup analyze` lists it (docs/result-files.md).
std::string failed_result_text(const SweepExpansion& sweep, const Trial& trial, const std::string& message);

// Runs what is pending; returns the exit code of `altup sweep`: 0 when every
// trial completed, 1 when some failed or diverged, 130 when stopped by
// SIGINT/SIGTERM (children are sent SIGTERM and awaited first). A fine-tune
// trial (Trial::depends_on) starts only once its pretraining trial has
// completed, with `--pretrained <its folder>`; if that trial failed or
// diverged it is recorded as failed without being started.
int run_sweep(const SweepExpansion& sweep, const RunnerOptions& options);

}  // namespace altup
