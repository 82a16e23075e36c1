// Random search: a sweep's `sample:` block (docs/sweeps.md, "Random search").
// N points drawn once, from a seeded generator whose sequence is fixed by the
// C++ standard (std::mt19937_64) and a conversion written here (not the
// library's distributions, whose output differs between implementations), so
// the same file expands to the same trials on every machine. The points
// become one axis, like a zip group: dry-run, resume, --only, Slurm and
// analysis treat them exactly as listed values.
#pragma once
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "sweeps/sweep_spec.hpp"

namespace altup {

// One key's distribution, as written: {uniform: [lo, hi]}, {log_uniform: [lo, hi]}
// (either with `integer: true`), or {choice: [a, b, ...]}.
struct SampledKey {
    enum class Kind { uniform, log_uniform, choice };
    std::string key;
    Kind kind = Kind::uniform;
    double low = 0, high = 0;
    bool integer = false;
    std::vector<YAML::Node> choices;
    SourcePos pos;
};

// Checks one distribution (keys already checked as config keys); SweepError naming file, line and key.
SampledKey parse_sampled_key(const Assignment& assignment);

// `count` points, each drawing every key in order. Floats are kept to 4
// significant digits (the label and the config value are then the same
// text); integers are uniform over lo..hi inclusive (log-uniform: over the
// logarithm, rounded down), choices uniform over the list.
ZipGroup draw_samples(const std::vector<SampledKey>& keys, size_t count, uint64_t seed, const SourcePos& pos);

}  // namespace altup
