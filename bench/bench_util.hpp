// Timing helpers for the benchmarks: median / p10 / p90 of repeated runs.
#pragma once
#include <algorithm>
#include <chrono>
#include <functional>
#include <vector>

#include "util/quantile.hpp"

namespace altup::bench {

struct Timing {
    double median_ms, p10_ms, p90_ms;
};

inline Timing time_it(const std::function<void()>& fn, int warmup, int reps) {
    for (int i = 0; i < warmup; ++i) fn();
    std::vector<double> ms;
    for (int i = 0; i < reps; ++i) {
        const auto t0 = std::chrono::steady_clock::now();
        fn();
        ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
    }
    return {quantile(ms, 0.5), quantile(ms, 0.1), quantile(ms, 0.9)};
}

}  // namespace altup::bench
