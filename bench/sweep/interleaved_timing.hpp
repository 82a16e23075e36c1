// Timing several workloads on a machine whose speed drifts: rounds in which
// every workload runs a few steps in turn, the order rotated each round, so
// that workloads compared within a round saw the same machine.
#pragma once
#include <functional>
#include <vector>

namespace altup {

struct Workload {
    std::function<void()> prepare;  // untimed, before each turn (the thread count)
    std::function<void()> step;     // one timed step
};

struct InterleavedOptions {
    int warmup = 3;           // untimed steps of each workload, in turn, before the first round
    int rounds = 10;
    int steps_per_round = 3;  // consecutive steps of a workload in one turn
};

// Round r runs the workloads in the order r mod n, r+1 mod n, ...; returns,
// per workload and round, the median ms of that turn's steps.
std::vector<std::vector<double>> time_interleaved(const std::vector<Workload>& workloads, const InterleavedOptions& options);

// The order of round r among n workloads (what time_interleaved runs).
std::vector<std::size_t> round_order(std::size_t n, int round);

}  // namespace altup
