// Summaries over seeds: mean, sample standard deviation (n-1) and the
// half-width of a two-sided 95% Student-t confidence interval.
#pragma once
#include <cstddef>
#include <optional>
#include <vector>

namespace altup {

struct Summary {
    std::size_t n = 0;
    std::optional<double> mean;    // needs n >= 1
    std::optional<double> stddev;  // sample std, needs n >= 2
    std::optional<double> ci95;    // half-width t_{0.975,n-1} * std / sqrt(n), needs n >= 2
};

Summary summarize(const std::vector<double>& values);

// The 0.975 quantile of Student's t with `dof` degrees of freedom (dof >= 1).
double student_t_975(std::size_t dof);

}  // namespace altup
