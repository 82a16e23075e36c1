// Parsing, validation and serialisation of trial configs (implemented in
// experiments/config/*.cpp). Errors are ConfigError values whose what() is a
// complete, user-facing message: file:line:col, key, what was expected, and a
// "did you mean" hint for unknown keys.
#pragma once
#include <functional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>
#include <yaml-cpp/yaml.h>

#include "experiments/config/config.hpp"

namespace altup {

struct ConfigError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// Parse + validate a YAML file, then apply "dotted.key=value" overrides
// (each validated like a key in the file; errors name the override).
Config load_config(const std::string& path, const std::vector<std::string>& overrides = {});
// The same, with `complete` given the tree (file + overrides) before it is
// parsed: fine-tuning fills in the pretraining trial's model/data keys there.
Config load_config(const std::string& path, const std::vector<std::string>& overrides,
                   const std::function<void(YAML::Node&)>& complete);

// Parse + validate an already-loaded YAML node; `source` names it in errors
// (a file path, or "sweep.yaml: trial altup-k2/seed=1").
Config parse_config(const YAML::Node& root, const std::string& source);

// Apply one "a.b.c=value" override to a YAML tree (the value is parsed as YAML
// scalar/flow, so "2", "true", "[1,2]" work). Throws ConfigError for a key that
// is not in the schema, with a suggestion.
void apply_override(YAML::Node& root, const std::string& assignment, const std::string& source);

// The checks of apply_override without a tree: the key (a schema key) and the
// parsed value of "a.b.c=value"; `source` names it in errors. Sweeps use it
// for `altup sweep --set`.
std::pair<std::string, YAML::Node> parse_assignment(const std::string& assignment, const std::string& source);

// Schema queries, used by sweeps to check axis keys.
bool is_known_key(const std::string& dotted_key);
std::string suggest_key(const std::string& dotted_key);   // "" when nothing is close

// The resolved config (every key explicit), for config.yaml / result.json.
YAML::Node to_yaml(const Config& c);
// The same as the text of config.yaml (block style, read by people): what a
// trial folder holds and `altup train --print-config` prints.
std::string config_yaml_text(const Config& c);
nlohmann::json to_json(const Config& c);
// Stable id: FNV-1a 64 of canonical JSON (sorted keys), 12 hex digits. Left
// out: what names or places a run, not what it computes (`name`,
// `data.cache_dir`, `train.threads`), so a resumed or re-run trial keeps its id.
std::string config_id(const Config& c);

}  // namespace altup
