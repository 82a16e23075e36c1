#include "analysis/pareto.hpp"

#include <algorithm>

namespace altup {

bool dominates(const SpeedQualityPoint& a, const SpeedQualityPoint& b, bool higher_quality_is_better) {
    const bool as_good = higher_quality_is_better ? a.quality >= b.quality : a.quality <= b.quality;
    return a.speed >= b.speed && as_good && (a.speed > b.speed || a.quality != b.quality);
}

std::vector<std::size_t> pareto_front(const std::vector<SpeedQualityPoint>& points, bool higher_quality_is_better) {
    std::vector<std::size_t> front;
    for (std::size_t i = 0; i < points.size(); ++i) {
        bool dominated = false;
        for (std::size_t j = 0; j < points.size() && !dominated; ++j)
            dominated = j != i && dominates(points[j], points[i], higher_quality_is_better);
        if (!dominated) front.push_back(i);
    }
    std::sort(front.begin(), front.end(), [&](std::size_t a, std::size_t b) { return points[a].speed < points[b].speed; });
    return front;
}

}  // namespace altup
