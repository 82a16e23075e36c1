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

// A refused config as a value. Most are about one key: `where` is the file
// (with ":line:col" when the YAML node has a position) or the override that
// set it, `key` the dotted key, `problem` what was wrong and what was
// expected; what() is "where: key: problem". Errors about no single key (an
// empty file, a missing file) leave key empty and what() is the message.
struct ConfigError : std::runtime_error {
    explicit ConfigError(const std::string& message) : std::runtime_error(message), problem(message) {}
    ConfigError(std::string where_, std::string key_, std::string problem_)
        : std::runtime_error(where_ + ": " + key_ + ": " + problem_), where(std::move(where_)), key(std::move(key_)),
          problem(std::move(problem_)) {}
    std::string where, key, problem;
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
