// The Pareto front of (speed, quality) points: those no other point beats on
// both axes (at least as fast and at least as good, better on one).
#pragma once
#include <cstddef>
#include <vector>

namespace altup {

struct SpeedQualityPoint {
    double speed = 0;    // higher is better
    double quality = 0;  // accuracy (higher is better) or loss (lower is better)
};

// a beats b: at least as fast and at least as good, and better on one of the two.
bool dominates(const SpeedQualityPoint& a, const SpeedQualityPoint& b, bool higher_quality_is_better);

// Indices of the non-dominated points, by increasing speed.
std::vector<std::size_t> pareto_front(const std::vector<SpeedQualityPoint>& points, bool higher_quality_is_better);

}  // namespace altup
