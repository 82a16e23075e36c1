#include "experiments/bench/interleaved_timing.hpp"

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
            const auto t0 = clock::now();
            for (int s = 0; s < options.steps_per_round; ++s) x.step();
            ms[c].push_back(std::chrono::duration<double, std::milli>(clock::now() - t0).count() / options.steps_per_round);
        }
    return ms;
}

}  // namespace altup
