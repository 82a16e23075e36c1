#include "analysis/family_fit.hpp"

#include <algorithm>
#include <cmath>
#include <set>

#include "analysis/pivot.hpp"

namespace altup {
namespace {

// The group's cost per training token (one rank's tokens: FLOPs per step are counted per rank too).
std::optional<double> cost_per_token(const Group& g, FitCost cost) {
    if (cost == FitCost::time) {
        const auto speed = g.stat(Metric::train_tokens_per_s).mean;
        return speed && *speed > 0 ? std::optional<double>(1.0 / *speed) : std::nullopt;
    }
    const auto flops = g.stat(Metric::flops_per_step).mean;
    const auto batch = g.config_number("train.batch"), seq = g.config_number("model.seq_len");
    const double accum = g.config_number("train.grad_accum").value_or(1.0);
    if (!flops || !batch || !seq || *batch * *seq * accum <= 0) return std::nullopt;
    return *flops / (*batch * *seq * accum);
}

struct Reading {
    FitRow::Status status = FitRow::Status::no_fit;
    std::string why_no_fit;
    std::optional<PowerLaw> law;
    std::optional<double> family_cost;
    double range_min = 0, range_max = 0;
};

// The family's cost at `quality` from the members' (cost, mean quality).
Reading read_fit(const std::vector<std::pair<double, double>>& members, double quality, bool higher, bool extrapolate) {
    Reading r;
    if (members.empty()) return r;
    auto [lo, hi] = std::minmax_element(members.begin(), members.end(),
                                        [](const auto& a, const auto& b) { return a.second < b.second; });
    r.range_min = lo->second;
    r.range_max = hi->second;
    r.law = fit_power_law(members, higher);
    if (!r.law) {
        std::set<double> costs;
        for (const auto& m : members) costs.insert(m.first);
        r.why_no_fit = costs.size() < 2 ? "no fit: the family has fewer than two distinct costs"
                                    : "no fit: the family's quality does not improve with cost (the bigger members "
                                      "are no better: undertrained, or a learning rate that does not suit them)";
        return r;
    }
    const bool inside = quality >= r.range_min && quality <= r.range_max;
    r.status = inside ? FitRow::Status::fitted : extrapolate ? FitRow::Status::extrapolated : FitRow::Status::outside_range;
    if (r.status != FitRow::Status::outside_range) r.family_cost = cost_at(*r.law, quality, higher);
    return r;
}

}  // namespace

const char* fit_cost_name(FitCost cost) { return cost == FitCost::flops ? "flops" : "time"; }

std::optional<FitCost> parse_fit_cost(const std::string& text) {
    if (text == "flops") return FitCost::flops;
    if (text == "time") return FitCost::time;
    return std::nullopt;
}

double error_of(double quality, bool higher_is_better) { return higher_is_better ? 1.0 - quality : quality; }

std::optional<PowerLaw> fit_power_law(const std::vector<std::pair<double, double>>& cost_quality, bool higher_is_better) {
    std::vector<std::pair<double, double>> xy;
    for (const auto& [cost, quality] : cost_quality) {
        const double err = error_of(quality, higher_is_better);
        if (cost <= 0 || err <= 0) return std::nullopt;
        xy.emplace_back(std::log(cost), std::log(err));
    }
    if (xy.size() < 2) return std::nullopt;
    double mx = 0, my = 0;
    for (const auto& [x, y] : xy) mx += x, my += y;
    mx /= static_cast<double>(xy.size());
    my /= static_cast<double>(xy.size());
    double sxx = 0, sxy = 0;
    for (const auto& [x, y] : xy) sxx += (x - mx) * (x - mx), sxy += (x - mx) * (y - my);
    if (sxx <= 0) return std::nullopt;  // one cost only
    const double exponent = sxy / sxx;
    if (!(exponent < 0)) return std::nullopt;  // quality does not rise with cost: nothing to read off
    return PowerLaw{my - exponent * mx, exponent};
}

double cost_at(const PowerLaw& law, double quality, bool higher_is_better) {
    return std::exp((std::log(error_of(quality, higher_is_better)) - law.log_scale) / law.exponent);
}

std::vector<FitRow> fit_rows(const std::vector<Group>& groups, const std::string& variant_key,
                             const std::string& baseline, const std::string& size_key, const FamilySpec& family,
                             FitCost cost, Metric metric, bool extrapolate) {
    const bool higher = higher_is_better(metric);
    const std::vector<std::string> companions = companion_labels(groups, size_key, variant_key);
    std::vector<FitRow> rows;
    for (std::size_t i = 0; i < groups.size(); ++i) {
        const Group& g = groups[i];
        if (in_family(g, family, variant_key, baseline)) continue;
        if (!g.standalone && !g.labels.count(variant_key)) continue;
        const auto quality = g.stat(metric).mean;
        const auto own_cost = cost_per_token(g, cost);
        if (!quality || !own_cost) continue;
        FitRow row;
        row.group = i;
        row.quality = *quality;
        row.cost = *own_cost;
        std::vector<double> member_costs;
        std::vector<std::vector<double>> samples{g.seed_values(metric)};
        for (std::size_t j : family_of(groups, i, family, variant_key, baseline, size_key, companions)) {
            const auto c = cost_per_token(groups[j], cost);
            std::vector<double> q = groups[j].seed_values(metric);
            if (!c || q.empty()) continue;
            row.family.push_back(j);
            member_costs.push_back(*c);
            samples.push_back(std::move(q));
        }
        auto members_of = [&](const std::vector<std::vector<double>>& s) {
            std::vector<std::pair<double, double>> m;
            for (std::size_t k = 0; k < member_costs.size(); ++k) m.emplace_back(member_costs[k], *summarize(s[k + 1]).mean);
            return m;
        };
        const Reading reading = read_fit(members_of(samples), row.quality, higher, extrapolate);
        row.status = reading.status;
        row.law = reading.law;
        row.why_no_fit = reading.why_no_fit;
        row.range_min = reading.range_min;
        row.range_max = reading.range_max;
        row.family_cost = reading.family_cost;
        if (row.family_cost) {
            row.multiplier = *row.family_cost / row.cost;
            // Seeds resampled within every group (the method's and each member's):
            // the multiplier's spread from seed noise in both. A draw whose fit is
            // undefined or leaves the range (without extrapolate) is left out.
            row.interval = bootstrap_interval(samples, [&](const std::vector<std::vector<double>>& s) -> std::optional<double> {
                const Reading r = read_fit(members_of(s), *summarize(s[0]).mean, higher, extrapolate);
                if (!r.family_cost) return std::nullopt;
                return *r.family_cost / row.cost;
            });
        }
        rows.push_back(std::move(row));
    }
    return rows;
}

}  // namespace altup
