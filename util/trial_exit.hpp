// The exit codes of a trainer process (`altup train`, pretraining or
// fine-tuning), the contract between the trainer and the sweep runner that
// reads them (docs/sweeps.md, "The trainer protocol"). Defined here, below
// both, so that neither includes the other.
#pragma once
#include <csignal>

namespace altup {

enum TrialExit : int {
    kCompleted = 0,
    kFailed = 1,             // result.json says failed (or a completed result was kept)
    kBadConfig = 2,          // refused before anything was written
    kDiverged = 3,           // result.json says diverged
    kInterruptedInt = 130,   // SIGINT: checkpoint saved, resume with --resume (the shell's 128 + 2)
    kInterruptedTerm = 143,  // SIGTERM: the same (128 + 15)
};

// The exit code of a trial stopped by `sig` after it saved its checkpoint.
inline TrialExit interrupted_exit(int sig) { return sig == SIGINT ? kInterruptedInt : kInterruptedTerm; }

// Whether `exit_code` means "stopped on request, resumable".
inline bool is_interruption(int exit_code) { return exit_code == kInterruptedInt || exit_code == kInterruptedTerm; }

}  // namespace altup
