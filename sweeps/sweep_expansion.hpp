// Expansion of a sweep into trials: each a resolved, validated config with
// human-readable labels and a stable id (docs/sweeps.md, "Expansion").
#pragma once
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "experiments/config/config.hpp"
#include "sweeps/sweep_spec.hpp"

namespace altup {

struct Trial {
    std::string id;                                         // config_id of the resolved config
    std::string name;                                       // the config's `name`; not part of the id
    std::map<std::string, std::string> labels;              // variant, axis keys, seed
    std::vector<std::pair<std::string, std::string>> overrides;  // key, value text, in application order
    Config config;
    // Two-stage sweeps: the id of the sweep's pretraining trial this fine-tune
    // trial starts from (finetune.from: pretrain), or empty (docs/sweeps.md).
    std::string depends_on;
};

struct SweepExpansion {
    SweepSpec spec;
    std::vector<Trial> trials;
    std::vector<std::string> warnings;  // e.g. an exclude entry that matched nothing
};

// Expands and validates every trial (parse_config) before anything runs.
// Throws SweepError; a trial's config error names the trial by its labels.
SweepExpansion expand_sweep(const SweepSpec& spec);

// `altup sweep --only KEY=VALUE`: keeps the trials whose labels (variant, a
// grid axis such as model.preset, seed) match every pair, plus the
// pretraining trials the kept fine-tune trials depend on, in sweep order.
// Throws SweepError when a key is no trial's label or nothing matches.
void select_trials(SweepExpansion& sweep, const std::vector<std::pair<std::string, std::string>>& only);

// The id of the pretraining trial a trial depends on: for finetune.task != none
// with finetune.from == "pretrain", config_id of its config with the finetune
// section reset to defaults; otherwise empty.
std::string pretraining_trial_id(const Config& config);

// Index of the trial with this id in sweep.trials, or sweep.trials.size().
size_t trial_index(const SweepExpansion& sweep, const std::string& id);

// "variant=altup-k2 model.preset=small seed=1": variant first, seed last.
std::string labels_text(const std::map<std::string, std::string>& labels);
// The same order as a list, for tables and --label arguments.
std::vector<std::pair<std::string, std::string>> ordered_labels(const std::map<std::string, std::string>& labels);

}  // namespace altup
