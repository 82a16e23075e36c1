#include "bench/sweep/interleaved_timing.hpp"

#include <algorithm>
#include <chrono>

namespace altup {

std::vector<std::size_t> round_order(std::size_t n, int round) {
    std::vector<std::size_t> order;
    for (std::size_t i = 0; i < n; ++i) order.push_back((std::size_t(round) + i) % n);
    return order;
}

std::vector<std::vector<double>> time_interleaved(const std::vector<Workload>& workloads, const InterleavedOptions& options) {
    for (int w = 0; w < options.warmup; ++w)
        for (const Workload& x : workloads) {
            if (x.prepare) x.prepare();
            x.step();
        }
    std::vector<std::vector<double>> ms(workloads.size());
    using clock = std::chrono::steady_clock;
    for (int r = 0; r < options.rounds; ++r)
        for (std::size_t c : round_order(workloads.size(), r)) {
            const Workload& x = workloads[c];
            if (x.prepare) x.prepare();
            std::vector<double> turn;
            for (int s = 0; s < options.steps_per_round; ++s) {
                const auto t0 = clock::now();
                x.step();
                turn.push_back(std::chrono::duration<double, std::milli>(clock::now() - t0).count());
            }
            // The turn's median step: one step pre-empted by another process does not move it.
            std::sort(turn.begin(), turn.end());
            const std::size_t n = turn.size();
            ms[c].push_back(n % 2 ? turn[n / 2] : (turn[n / 2 - 1] + turn[n / 2]) / 2);
        }
    return ms;
}

}  // namespace altup
