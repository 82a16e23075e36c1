// Quality against cost over the reference family, as a power law, and the
// compute multiplier it gives each method: the family's cost per training
// token at the method's quality over the method's own (> 1: the method reaches
// that quality more cheaply). The interval is a percentile bootstrap over
// seeds; the fit is never read outside the family's quality range unless
// asked (docs/analysis.md, "Fitted compute multiplier").
#pragma once
#include <cstddef>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "analysis/grouping.hpp"
#include "analysis/reference_family.hpp"
#include "analysis/statistics.hpp"

namespace altup {

// Cost per training token: analytic FLOPs (speed.flops_per_step over the
// tokens of a step), or seconds (1 / train tok/s: the measured speed).
enum class FitCost { flops, time };
const char* fit_cost_name(FitCost cost);
std::optional<FitCost> parse_fit_cost(const std::string& text);

// error = exp(log_scale) * cost^exponent, fitted by least squares on
// (log cost, log error). The error is 1 - quality for a quality where higher
// is better (accuracies, fractions in [0, 1]), the quality itself for a loss.
struct PowerLaw {
    double log_scale = 0;
    double exponent = 0;  // < 0: the family improves with cost
};
double error_of(double quality, bool higher_is_better);
// Needs two distinct costs, positive errors and a falling error; else nullopt.
std::optional<PowerLaw> fit_power_law(const std::vector<std::pair<double, double>>& cost_quality, bool higher_is_better);
double cost_at(const PowerLaw& law, double quality, bool higher_is_better);

struct FitRow {
    enum class Status { fitted, outside_range, extrapolated, no_fit };
    std::size_t group = 0;
    std::vector<std::size_t> family;  // members with a quality and a cost
    double quality = 0, cost = 0;     // the method's means
    double range_min = 0, range_max = 0;  // the members' mean qualities
    Status status = Status::no_fit;
    std::optional<PowerLaw> law;
    std::string why_no_fit;             // with Status::no_fit, in words
    std::optional<double> family_cost;  // the fit's cost at the method's quality
    std::optional<double> multiplier;   // family_cost / cost
    std::optional<BootstrapInterval> interval;  // of the multiplier, seeds resampled
};

std::vector<FitRow> fit_rows(const std::vector<Group>& groups, const std::string& variant_key,
                             const std::string& baseline, const std::string& size_key, const FamilySpec& family,
                             FitCost cost, Metric metric, bool extrapolate);

}  // namespace altup
