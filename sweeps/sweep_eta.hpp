// How long a sweep still needs, from what its trials have shown of this
// machine. Each trial's cost is its analytic training FLOPs (the trainer's
// count, so a K=4 AltUp trial weighs what it computes); a trial that has
// started is timed by its own rate, a pending one by the trials of its size
// that have run (equal FLOPs), else by the machine's FLOP rate over every
// trial seen so far. So the ETA appears with the first trial's first logged
// steps, not when a trial ends, and sizes that differ are not averaged.
#pragma once
#include <cstddef>
#include <map>
#include <optional>
#include <vector>

#include <string>

#include "experiments/config/config.hpp"
#include "sweeps/sweep_expansion.hpp"

namespace altup {

// FLOPs a trial trains for: 3 × forward FLOPs per token × tokens per step ×
// steps (a fine-tune trial: its fine-tune steps and batch on the same model;
// the task head is left out, it is a small part). Builds the model to count.
double trial_training_flops(const Config& cfg);
// Each trial's, in order; 0 for a trial whose model cannot be built (its ETA stays unknown).
std::vector<double> sweep_training_flops(const SweepExpansion& sweep);

class SweepEta {
public:
    // work[i]: trial i's training FLOPs (0 when unknown: such a trial has no estimate until it runs).
    explicit SweepEta(std::vector<double> work) : work_(std::move(work)) {}

    // Trial i has done `fraction` (0..1] of its steps in `seconds` of its own wall time; replaces earlier ones.
    void observe(std::size_t i, double fraction, double seconds);

    // Seconds trial i still needs; nullopt when nothing yet tells (no trial observed, or its work unknown).
    std::optional<double> remaining(std::size_t i) const;

    // The sweep's: the trials still to finish (running and pending), shared over `jobs` slots;
    // nullopt when any of them has no estimate.
    std::optional<double> remaining(const std::vector<std::size_t>& left, int jobs) const;

private:
    struct Seen {
        double fraction = 0, seconds = 0;
    };
    std::vector<double> work_;
    std::map<std::size_t, Seen> seen_;
};

// `altup sweep --dry-run`'s compute estimate: each trial size (equal training
// FLOPs) with its count and, where completed trials of the sweep's folder
// `sweep_dir` measured this machine's rate, its time and the total to run with
// `jobs` at a time. Without any completed trial it gives the FLOPs and says
// that the ETA appears once the first trial has logged steps.
// `whole`, when given, is the sweep before `--only` selected `sweep` from: its
// completed trials measure the machine too (a --only of a new size gets a time).
std::string compute_estimate(const SweepExpansion& sweep, const std::string& sweep_dir, int jobs,
                             const SweepExpansion* whole = nullptr);

}  // namespace altup
