// Summaries over seeds and the tests between them: mean, sample standard
// deviation (n-1), the half-width of a two-sided 95% Student-t confidence
// interval, Welch's unequal-variance t-test, and a seeded percentile
// bootstrap. Distributions come from Boost.Math.
#pragma once
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

#include "util/quantile.hpp"  // quantile(), used with these statistics

namespace altup {

struct Summary {
    std::size_t n = 0;
    std::optional<double> mean;    // needs n >= 1
    std::optional<double> stddev;  // sample std, needs n >= 2
    std::optional<double> ci95;    // half-width t_{0.975,n-1} * std / sqrt(n), needs n >= 2
};

Summary summarize(const std::vector<double>& values);

// The 0.975 quantile of Student's t with `dof` degrees of freedom (dof > 0, not necessarily whole).
double student_t_975(double dof);

// Welch's two-sided t-test of equal means without assuming equal variances.
struct WelchTest {
    double t = 0;
    double dof = 0;  // Welch-Satterthwaite degrees of freedom
    double p = 1;    // two-sided
};
// nullopt when either side has fewer than 2 values, or both have zero variance.
std::optional<WelchTest> welch_t_test(const std::vector<double>& a, const std::vector<double>& b);

// Percentile bootstrap: `statistic` is called `resamples` times with a fresh
// resample (with replacement, same sizes) of each of the `samples`; a call may
// return nullopt (an undefined statistic for that draw; counted, left out).
// The 2.5 and 97.5 percentiles of the defined values; nullopt when fewer than
// half the draws are defined. Deterministic for a given `seed`.
struct BootstrapInterval {
    double lo = 0, hi = 0;
    std::size_t defined = 0, resamples = 0;
};
std::optional<BootstrapInterval> bootstrap_interval(
    const std::vector<std::vector<double>>& samples,
    const std::function<std::optional<double>(const std::vector<std::vector<double>>&)>& statistic,
    std::size_t resamples = 2000, std::uint64_t seed = 1);


}  // namespace altup
