#include "sweeps/sweep_sampling.hpp"

#include <cmath>
#include <random>
#include <set>

#include <fmt/format.h>

namespace altup {
namespace {

// [0, 1) from the top 53 bits: the same double on every platform.
double unit(std::mt19937_64& rng) { return static_cast<double>(rng() >> 11) * 0x1.0p-53; }

std::string four_digits(double v) { return fmt::format("{:.4g}", v); }

double number(const YAML::Node& n, const SampledKey& k, const char* what) {
    try {
        if (n.IsScalar()) return n.as<double>();
    } catch (const YAML::Exception&) {
    }
    throw_sweep_error(SourcePos::of(k.pos.file, n), k.key, fmt::format("the {} bound is not a number", what));
}

}  // namespace

SampledKey parse_sampled_key(const Assignment& a) {
    SampledKey k;
    k.key = a.key;
    k.pos = a.pos;
    const YAML::Node& d = a.value;
    const char* kExpected = "expected a distribution: {uniform: [lo, hi]}, {log_uniform: [lo, hi]} (either may add "
                            "integer: true) or {choice: [a, b, ...]}";
    if (!d.IsMap()) throw_sweep_error(a.pos, a.key, kExpected);
    int kinds = 0;
    for (const auto& entry : d) {
        const std::string name = entry.first.Scalar();
        if (name == "uniform" || name == "log_uniform" || name == "choice") {
            ++kinds;
            k.kind = name == "uniform" ? SampledKey::Kind::uniform : name == "log_uniform" ? SampledKey::Kind::log_uniform
                                                                                           : SampledKey::Kind::choice;
        } else if (name != "integer") {
            throw_sweep_error(SourcePos::of(a.pos.file, entry.first), a.key, fmt::format("unknown '{}'; {}", name, kExpected));
        }
    }
    if (kinds != 1) throw_sweep_error(a.pos, a.key, kExpected);
    if (d["integer"]) {
        if (k.kind == SampledKey::Kind::choice)
            throw_sweep_error(SourcePos::of(a.pos.file, d["integer"]), a.key, "integer: applies to uniform and log_uniform, not choice");
        try {
            k.integer = d["integer"].as<bool>();
        } catch (const YAML::Exception&) {
            throw_sweep_error(SourcePos::of(a.pos.file, d["integer"]), a.key, "integer: expected true or false");
        }
    }
    if (k.kind == SampledKey::Kind::choice) {
        const YAML::Node list = d["choice"];
        if (!list.IsSequence() || list.size() == 0)
            throw_sweep_error(SourcePos::of(a.pos.file, list), a.key, "choice: expected a non-empty list of values");
        for (const auto& v : list) k.choices.push_back(v);
        return k;
    }
    const char* name = k.kind == SampledKey::Kind::uniform ? "uniform" : "log_uniform";
    const YAML::Node range = d[name];
    if (!range.IsSequence() || range.size() != 2)
        throw_sweep_error(SourcePos::of(a.pos.file, range), a.key, fmt::format("{}: expected [low, high]", name));
    k.low = number(range[0], k, "low");
    k.high = number(range[1], k, "high");
    if (!(k.low < k.high)) throw_sweep_error(SourcePos::of(a.pos.file, range), a.key, fmt::format("{}: low must be below high", name));
    if (k.kind == SampledKey::Kind::log_uniform && !(k.low > 0))
        throw_sweep_error(SourcePos::of(a.pos.file, range), a.key, "log_uniform: both bounds must be above 0");
    if (k.integer && (k.low != std::floor(k.low) || k.high != std::floor(k.high)))
        throw_sweep_error(SourcePos::of(a.pos.file, range), a.key, fmt::format("{} with integer: true needs integer bounds", name));
    return k;
}

ZipGroup draw_samples(const std::vector<SampledKey>& keys, size_t count, uint64_t seed, const SourcePos& pos) {
    std::mt19937_64 rng(seed);
    ZipGroup group;
    group.pos = pos;
    for (const SampledKey& k : keys) group.lists.push_back({k.key, {}, k.pos});
    // A point drawn twice would be the same trial twice: draw again, a bounded number of times.
    std::set<std::vector<std::string>> seen;
    const size_t max_draws = 1000 * count + 1000;
    for (size_t draws = 0; seen.size() < count; ++draws) {
        if (draws == max_draws)
            throw_sweep_error(pos, "samples",
                              fmt::format("asked for {} distinct points, but {} draws gave only {}: the choices and integer "
                                          "ranges have fewer combinations; lower samples or widen them",
                                          count, max_draws, seen.size()));
        std::vector<YAML::Node> point;
        std::vector<std::string> texts;
        for (const SampledKey& k : keys) {
            const double u = unit(rng);
            YAML::Node value;
            if (k.kind == SampledKey::Kind::choice) {
                value = k.choices[std::min(k.choices.size() - 1, static_cast<size_t>(u * k.choices.size()))];
            } else if (k.integer) {
                // Uniform over the integers lo..hi: over [lo, hi + 1) (or its logarithm), rounded down.
                const double top = k.high + 1;
                const double x = k.kind == SampledKey::Kind::uniform ? k.low + u * (top - k.low)
                                                                     : std::exp(std::log(k.low) + u * (std::log(top) - std::log(k.low)));
                value = YAML::Node(static_cast<long long>(std::min(k.high, std::floor(x))));
            } else {
                const double x = k.kind == SampledKey::Kind::uniform ? k.low + u * (k.high - k.low)
                                                                     : std::exp(std::log(k.low) + u * (std::log(k.high) - std::log(k.low)));
                value = YAML::Node(four_digits(x));
            }
            point.push_back(value);
            texts.push_back(value_text(value));
        }
        if (!seen.insert(texts).second) continue;
        for (size_t j = 0; j < keys.size(); ++j) group.lists[j].values.push_back(point[j]);
    }
    return group;
}

}  // namespace altup
