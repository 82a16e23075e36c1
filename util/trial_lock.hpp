// One process per trial: an flock(2) on <trial-dir>/.lock, held by the sweep
// runner while its trainer runs, and by a standalone `altup train` itself
// (experiments/trial/run_folder.hpp). flock is advisory and per open file; on NFS it is emulated
// with fcntl locks (Linux >= 2.6.12), on other shared filesystems it may be
// local to one machine (docs/sweeps.md, "Locks").
#pragma once
#include <string>

namespace altup {

class TrialLock {
public:
    TrialLock() = default;
    TrialLock(TrialLock&& other) noexcept;
    TrialLock& operator=(TrialLock&& other) noexcept;
    TrialLock(const TrialLock&) = delete;
    TrialLock& operator=(const TrialLock&) = delete;
    ~TrialLock();

    // Takes the lock without waiting; returns an unheld lock if someone else has it.
    // Throws std::runtime_error when the lock file cannot be created.
    static TrialLock try_acquire(const std::string& trial_dir);
    // True when another process holds the lock of this trial (probes and lets go).
    static bool held_elsewhere(const std::string& trial_dir);

    bool held() const { return fd_ >= 0; }
    // The descriptor, so that a child can inherit the lock across exec.
    int fd() const { return fd_; }
    void release();

private:
    explicit TrialLock(int fd) : fd_(fd) {}
    int fd_ = -1;
};

}  // namespace altup
