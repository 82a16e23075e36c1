#include "analysis/iso_quality.hpp"

#include <algorithm>
#include <map>

#include "analysis/pareto.hpp"
#include "analysis/pivot.hpp"

namespace altup {

const char* iso_status_name(IsoStatus status) {
    switch (status) {
        case IsoStatus::interpolated: return "interpolated";
        case IsoStatus::below_range: return "below_range";
        case IsoStatus::above_range: return "above_range";
        case IsoStatus::extrapolated: return "extrapolated";
        case IsoStatus::no_baseline: return "no_baseline";
    }
    return "?";
}

namespace {

double lerp_at(const QualitySpeedPoint& a, const QualitySpeedPoint& b, double accuracy) {
    const double t = (accuracy - a.accuracy) / (b.accuracy - a.accuracy);
    return a.speed + t * (b.speed - a.speed);
}

}  // namespace

BaselineSpeedAt baseline_speed_at(std::vector<QualitySpeedPoint> baseline, double accuracy, bool extrapolate) {
    BaselineSpeedAt out;
    if (baseline.empty()) return out;
    std::sort(baseline.begin(), baseline.end(),
              [](const QualitySpeedPoint& a, const QualitySpeedPoint& b) { return a.accuracy < b.accuracy; });
    // Merge equal accuracies so every segment has a positive width.
    std::vector<QualitySpeedPoint> points;
    std::vector<int> counts;
    for (const QualitySpeedPoint& p : baseline) {
        if (!points.empty() && points.back().accuracy == p.accuracy) {
            points.back().speed += p.speed;
            ++counts.back();
        } else {
            points.push_back(p);
            counts.push_back(1);
        }
    }
    for (std::size_t i = 0; i < points.size(); ++i) points[i].speed /= counts[i];
    out.range_min = points.front().accuracy;
    out.range_max = points.back().accuracy;
    if (accuracy >= out.range_min && accuracy <= out.range_max) {
        out.status = IsoStatus::interpolated;
        if (points.size() == 1) {
            out.speed = points.front().speed;
            return out;
        }
        for (std::size_t i = 0; i + 1 < points.size(); ++i)
            if (accuracy <= points[i + 1].accuracy) {
                out.speed = lerp_at(points[i], points[i + 1], accuracy);
                return out;
            }
    }
    const bool below = accuracy < out.range_min;
    if (!extrapolate || points.size() < 2) {
        out.status = below ? IsoStatus::below_range : IsoStatus::above_range;
        return out;
    }
    out.status = IsoStatus::extrapolated;
    const std::size_t n = points.size();
    out.speed = below ? lerp_at(points[0], points[1], accuracy) : lerp_at(points[n - 2], points[n - 1], accuracy);
    return out;
}

std::vector<IsoQualityRow> iso_quality(const std::vector<Group>& groups, const std::string& variant_key,
                                       const std::string& baseline, const std::string& size_key, bool extrapolate,
                                       const FamilySpec& family_spec, Metric metric) {
    const std::vector<std::string> companions = companion_labels(groups, size_key, variant_key);
    std::vector<IsoQualityRow> rows;
    for (std::size_t i = 0; i < groups.size(); ++i) {
        const Group& g = groups[i];
        if (in_family(g, family_spec, variant_key, baseline)) continue;
        if (!g.standalone && !g.labels.count(variant_key)) continue;
        const auto accuracy = g.stat(metric).mean;
        const auto speed = g.stat(Metric::train_tokens_per_s).mean;
        if (!accuracy || !speed) continue;
        IsoQualityRow row;
        row.group = i;
        row.accuracy = *accuracy;
        row.speed = *speed;
        std::vector<SpeedQualityPoint> family;
        std::vector<std::size_t> family_groups;
        for (std::size_t j : family_of(groups, i, family_spec, variant_key, baseline, size_key, companions)) {
            const Group& b = groups[j];
            const auto ba = b.stat(metric).mean;
            const auto bs = b.stat(Metric::train_tokens_per_s).mean;
            if (!ba || !bs) continue;
            family.push_back({*bs, *ba});
            family_groups.push_back(j);
        }
        const bool higher = higher_is_better(metric);
        std::vector<QualitySpeedPoint> points;
        std::vector<bool> on_front(family.size(), false);
        for (std::size_t f : pareto_front(family, higher)) {
            on_front[f] = true;
            points.push_back({family[f].quality, family[f].speed});
            row.baseline_family.push_back(family_groups[f]);
        }
        for (std::size_t f = 0; f < family.size(); ++f)
            if (!on_front[f]) row.dominated_family.push_back(family_groups[f]);
        std::sort(row.baseline_family.begin(), row.baseline_family.end(), [&](std::size_t a, std::size_t b) {
            return *groups[a].stat(metric).mean < *groups[b].stat(metric).mean;
        });
        row.baseline = baseline_speed_at(points, row.accuracy, extrapolate);
        const bool out_below = row.baseline.status == IsoStatus::below_range;
        const bool out_above = row.baseline.status == IsoStatus::above_range;
        auto speed_of = [&](std::size_t group) { return *groups[group].stat(Metric::train_tokens_per_s).mean; };
        // A lower bound rests on the front's speed falling as quality rises: it
        // needs a front of two sizes or more to show that trend.
        if (((out_above && higher) || (out_below && !higher)) && row.baseline_family.size() >= 2) {
            // Better than the whole front: its best point is the last by accuracy (or the first by loss).
            row.bound = IsoQualityRow::Bound::lower;
            row.bound_by = higher ? row.baseline_family.back() : row.baseline_family.front();
        } else if ((out_above && !higher) || (out_below && higher)) {
            for (std::size_t f = 0; f < family.size(); ++f)
                if (dominates(family[f], {row.speed, row.accuracy}, higher) &&
                    (!row.bound_by || family[f].speed > speed_of(*row.bound_by)))
                    row.bound_by = family_groups[f];
            if (row.bound_by) row.bound = IsoQualityRow::Bound::upper;
        }
        if (row.bound_by) row.speedup_bound = row.speed / speed_of(*row.bound_by);
        if (row.baseline.speed && *row.baseline.speed > 0) {
            row.speedup = row.speed / *row.baseline.speed;
            row.speedup_percent = (*row.speedup - 1.0) * 100.0;
        }
        rows.push_back(std::move(row));
    }
    return rows;
}

}  // namespace altup
