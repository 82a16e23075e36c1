// `altup sweep FILE --launcher slurm`: the pending trials become one Slurm job
// array (one array task per trial, `%M` throttle), or two when fine-tune trials
// must wait for pretraining trials of the same submission. Each task runs
// `altup train` for its trial into the shared runs folder, under the trial's
// lock, so local runners, `--status` and a second submission see it as running.
#pragma once
#include <string>
#include <vector>

#include "sweeps/sweep_runner.hpp"

namespace altup {

struct SlurmOptions {
    std::string partition;                 // --partition, "" = the cluster's default
    std::string time;                      // --time, e.g. 02:00:00
    int cpus_per_task = 0;                 // 0 = the runner's threads (or 1)
    int max_parallel = 0;                  // %M throttle, 0 = none
    int mpi_ranks = 1;                     // > 1: each trial runs as `srun -n R altup train` (MPI data parallel)
    std::vector<std::string> sbatch_args;  // extra #SBATCH lines, e.g. --account=x
    bool dry_run = false;                  // compose the scripts and lists, write nothing, submit nothing
    std::string altup_binary;              // "" = this executable
};

// One sbatch job array: one task per trial, task i = line i of the list.
struct SlurmArray {
    std::vector<std::string> trial_ids;    // in array-task order
    std::string script_path, list_path;
    std::string script;                    // the sbatch script's text
    std::string list;                      // the task list's text (one line per array task)
    std::string sbatch_command;            // as run; in a dry run the second array names "<first job id>"
    std::string job_id;                    // "" for a dry run
    bool after_first = false;              // fine-tune trials: --dependency=afterany:<first array's job id>
};

struct SlurmSubmission {
    std::vector<std::string> trial_ids;    // every submitted trial
    // Two-stage sweeps (docs/sweeps.md): the pending trials whose pretraining
    // trial is pending too go into a second array that starts after the first
    // has ended; every other pending trial is in the first.
    std::vector<SlurmArray> arrays;        // empty when nothing was pending
    // The first array's fields, as before there were two.
    std::string script_path, list_path;
    std::string script;
    std::string job_id;
};

// Trials that are neither completed (nor failed/diverged, unless retry_failed)
// nor held by a running task.
std::vector<const Trial*> pending_trials(const SweepExpansion& sweep, const RunnerOptions& options);

// Writes the trial configs, the task lists and the sbatch scripts under
// <out>/<sweep>/slurm/ (named array-<time>-<pid>-<n>, unique per submission,
// the task list created with O_EXCL), then submits with `sbatch --parsable` (unless dry_run),
// the second array with --dependency=afterany:<first>. A dry run composes the
// same scripts and lists (named ...-dry-run) and writes nothing. A task of a fine-tune
// trial checks that its pretraining trial completed and passes `--pretrained
// <its folder>`; if it failed or diverged, it records the trial as failed.
// options.trainer_command, when set, replaces `<altup> train` (tests).
// Throws std::runtime_error when sbatch is missing or refuses the job.
SlurmSubmission submit_slurm_array(const SweepExpansion& sweep, const RunnerOptions& options, const SlurmOptions& slurm);

}  // namespace altup
