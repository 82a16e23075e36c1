// Opening a trial's folder, the steps every trial takes before its loop, in
// the order that keeps a mistake from writing anything: the folder is checked
// to be this trial's (check_run_folder), the checkpoint to resume from is read
// and verified, and only then is the folder made, locked and config.yaml
// written. The thread count is set from the config here too (the matmul
// precision is the model's own, built from train.dtype).
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "experiments/config/config.hpp"
#include "experiments/trial/safetensors.hpp"
#include "util/trial_lock.hpp"

namespace altup {

struct TrialFolderRequest {
    std::string run_dir;
    bool resume = false;               // read run_dir/ckpt.safetensors when it is there
    std::vector<std::string> sources;  // what the trial reads (must lie outside the folder)
    bool take_lock = true;             // false under MPI: the launcher holds the lock for the ranks
    bool write_files = true;           // false on MPI ranks other than 0
    bool say = true;                   // warnings on stderr
};

struct TrialFolder {
    std::string dir;
    TrialLock lock;                             // held until the trial object goes
    std::optional<SafetensorsFile> checkpoint;  // the state to resume from, if any
    int threads = 1;                            // OpenMP threads in force
    std::string path(const char* name) const;   // dir/name

    // Resume or start: hands the checkpoint to `restore` and frees it (the
    // tensors were copied) and returns true, or returns false for a fresh start.
    template <class Restore>
    bool resume_with(Restore restore) {
        if (!checkpoint) return false;
        restore(*checkpoint);
        checkpoint.reset();
        return true;
    }
};

// Throws RunFolderRefused (run_folder.hpp) before anything is written when
// the folder is not this trial's; std::runtime_error on a broken checkpoint.
TrialFolder open_trial_folder(const Config& cfg, const TrialFolderRequest& request);

}  // namespace altup
