// `altup sweep FILE --launcher slurm`: the pending trials become one Slurm job
// array (one array task per trial, `%M` throttle). Each task runs `altup train`
// for its trial into the shared runs folder, under the trial's lock, so local
// runners, `--status` and a second submission see it as running.
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
    bool dry_run = false;                  // print the script instead of submitting
    std::string altup_binary;              // "" = this executable
};

struct SlurmSubmission {
    std::vector<std::string> trial_ids;    // submitted, in array-task order
    std::string script_path, list_path;
    std::string script;                    // the sbatch script's text
    std::string job_id;                    // "" for a dry run or when nothing was pending
};

// Trials that are neither completed (nor failed/diverged, unless retry_failed)
// nor held by a running task.
std::vector<const Trial*> pending_trials(const SweepExpansion& sweep, const RunnerOptions& options);

// Writes the trial configs, the task list and the sbatch script under
// <out>/<sweep>/slurm/, then submits with `sbatch --parsable` (unless dry_run).
// Throws std::runtime_error when sbatch is missing or refuses the job.
SlurmSubmission submit_slurm_array(const SweepExpansion& sweep, const RunnerOptions& options, const SlurmOptions& slurm);

}  // namespace altup
