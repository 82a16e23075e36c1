// A sweep file, parsed and checked but not yet expanded (docs/sweeps.md):
// a base config plus the axes that vary it. Every sweep-level mistake is
// reported here, with file, line, column and key, before any trial exists.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "sweeps/sweep_error.hpp"

namespace altup {

// One "dotted.key: value" override as written in the sweep file.
struct Assignment {
    std::string key;
    YAML::Node value;
    SourcePos pos;  // of the key
};

// A key and the list of values it takes (a grid axis, or one list of a zip group).
struct AxisValues {
    std::string key;
    std::vector<YAML::Node> values;
    SourcePos pos;
};

// Keys whose lists pair up element by element; all lists have equal length.
struct ZipGroup {
    std::vector<AxisValues> lists;
    SourcePos pos;
    size_t length() const { return lists.empty() ? 0 : lists.front().values.size(); }
};

struct Variant {
    std::string name;
    std::vector<Assignment> overrides;
    SourcePos pos;
};

// An exclude/include entry: keys are "variant", "seed" or dotted config keys.
struct PartialAssignment {
    std::vector<Assignment> entries;
    SourcePos pos;
};

struct SweepSpec {
    std::string file;          // the sweep file, as named in messages
    std::string name;          // also the folder under --out
    std::string description;
    YAML::Node base;           // the base config tree (never modified)
    std::string base_source;   // the base file's path, or "<file> (inline base)"
    std::vector<Assignment> set;    // applied to every trial
    std::vector<AxisValues> grid;   // cartesian product
    std::vector<ZipGroup> zips;     // each group is one axis of paired values
    // Random search (`sample:`, `samples:`, `sample_seed:`): the drawn points, one
    // axis like a zip group (sweeps/sweep_sampling.hpp); empty lists without it.
    ZipGroup samples;
    std::vector<Variant> variants;  // crossed with the grid; none = one unnamed variant
    bool has_seeds = false;
    std::vector<uint64_t> seeds;
    SourcePos seeds_pos;
    std::vector<PartialAssignment> exclude;
    std::vector<PartialAssignment> include;

    // Keys that label trials: the grid keys, the zip keys, then the sampled keys, in file order.
    std::vector<std::string> axis_keys() const;
    const Variant* find_variant(const std::string& name) const;
};

// Reads and checks a sweep file; `base: path` is resolved relative to it.
SweepSpec load_sweep(const std::string& path);

// Checks an already-loaded sweep document. `file` names it in messages and
// `base_dir` resolves a relative `base:` path.
SweepSpec parse_sweep(const YAML::Node& root, const std::string& file, const std::string& base_dir);

// A value as written, for labels: "1e-3", "small", "[1, 2]".
std::string value_text(const YAML::Node& value);
// A value as YAML that reads back as itself, for "key=value" overrides.
std::string override_text(const YAML::Node& value);

}  // namespace altup
