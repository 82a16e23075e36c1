// Iso-quality speedup: a method's training speed over the speed the reference
// family (by default every dense model, at its several sizes) would have at the same accuracy,
// read off the piecewise-linear curve through the baseline's
// (accuracy, train tok/s) points sorted by accuracy. Only the family's Pareto
// front counts: a size that another size beats on both accuracy and speed (a
// bigger model that is still undertrained, say) is never the fastest way to
// an accuracy, and a curve through it would bend back. Outside the front's
// accuracy range the answer would be an extrapolation: it is marked, and only
// computed (from the nearest segment) when asked for.
#pragma once
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "analysis/grouping.hpp"
#include "analysis/reference_family.hpp"

namespace altup {

struct QualitySpeedPoint {
    double accuracy = 0;
    double speed = 0;
};

enum class IsoStatus {
    interpolated,  // inside the baseline's accuracy range
    below_range,   // less accurate than every baseline size: not computed
    above_range,   // more accurate than every baseline size: not computed
    extrapolated,  // outside the range, computed from the nearest segment on request
    no_baseline,   // no baseline point with an accuracy and a speed
};

const char* iso_status_name(IsoStatus status);

struct BaselineSpeedAt {
    IsoStatus status = IsoStatus::no_baseline;
    std::optional<double> speed;  // the baseline's train tok/s at the accuracy
    double range_min = 0, range_max = 0;
};

// Points of equal accuracy are averaged; extrapolation needs two distinct accuracies.
BaselineSpeedAt baseline_speed_at(std::vector<QualitySpeedPoint> baseline, double accuracy, bool extrapolate);

struct IsoQualityRow {
    std::size_t group = 0;
    std::vector<std::size_t> baseline_family;  // group indices of the family's front, sorted by accuracy
    std::vector<std::size_t> dominated_family; // family groups off the front (another size better and faster)
    double accuracy = 0;                       // method's mean quality (token accuracy: a fraction)
    double speed = 0;                          // method's mean train tok/s
    BaselineSpeedAt baseline;
    std::optional<double> speedup;             // speed / baseline.speed
    std::optional<double> speedup_percent;     // (speedup - 1) * 100
    // Outside the front's range the speedup is not computed, but bounded:
    //  upper: worse than the front and beaten on both axes by a baseline size;
    //         bound_by is the fastest such size, speedup < speed / its speed.
    //  lower: better than every size on a front of two or more; bound_by is the front's best
    //         (and slowest) size, speedup > speed / its speed, assuming that a
    //         baseline good enough would be no faster than it (the front's
    //         speed falls as its quality rises).
    enum class Bound { none, upper, lower };
    Bound bound = Bound::none;
    std::optional<std::size_t> bound_by;
    std::optional<double> speedup_bound;
};

// One row per group outside the reference family with a quality (`metric`,
// token accuracy by default; `accuracy` then holds it) and a speed. Its family
// is the members family_of() gives (reference_family.hpp: same sweep and
// settings, any model size); the downstream task label is a setting, so pos
// accuracy is never read against a genre family.
std::vector<IsoQualityRow> iso_quality(const std::vector<Group>& groups, const std::string& variant_key,
                                       const std::string& baseline, const std::string& size_key, bool extrapolate,
                                       const FamilySpec& family = {}, Metric metric = Metric::token_accuracy);

}  // namespace altup
