#include "analysis/pareto.hpp"

#include <algorithm>

namespace altup {

std::vector<std::size_t> pareto_front(const std::vector<SpeedQualityPoint>& points, bool higher_quality_is_better) {
    auto at_least_as_good = [&](double a, double b) { return higher_quality_is_better ? a >= b : a <= b; };
    std::vector<std::size_t> front;
    for (std::size_t i = 0; i < points.size(); ++i) {
        bool dominated = false;
        for (std::size_t j = 0; j < points.size() && !dominated; ++j) {
            if (j == i) continue;
            const bool weakly = points[j].speed >= points[i].speed && at_least_as_good(points[j].quality, points[i].quality);
            const bool strictly = points[j].speed > points[i].speed || points[j].quality != points[i].quality;
            dominated = weakly && strictly;
        }
        if (!dominated) front.push_back(i);
    }
    std::sort(front.begin(), front.end(), [&](std::size_t a, std::size_t b) { return points[a].speed < points[b].speed; });
    return front;
}

}  // namespace altup
