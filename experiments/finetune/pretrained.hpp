// Where a fine-tuning trial's weights come from (finetune.from) and how they
// are loaded: exactly the saved values, into a model of the same shape.
#pragma once
#include <stdexcept>
#include <string>

#include <yaml-cpp/yaml.h>

#include <nlohmann/json.hpp>

#include "experiments/config/config.hpp"
#include "experiments/trial/trial_refused.hpp"
#include "layers/model.hpp"

namespace altup {

// finetune.from names nothing usable: a config mistake (exit 2), reported
// before the trial writes anything.
struct PretrainedSourceError : TrialRefused {
    using TrialRefused::TrialRefused;
};

struct PretrainedSource {
    std::string run_dir;      // the pretraining trial's folder ("" for a bare checkpoint file)
    std::string checkpoint;   // its ckpt.safetensors
    std::string trial_id;     // from the checkpoint's metadata
    nlohmann::json result;    // its result.json (null when the folder has none)
};

// Resolves finetune.from: "pretrain" -> `pretrained_dir` (given by the sweep
// runner as --pretrained); a folder -> its ckpt.safetensors; a file -> itself;
// a 12-hex-digit trial id -> the folder of that name under `runs_root`/<any
// sweep or name>/. Checks that the pretraining trial completed and that its
// model and data settings are this config's. Throws PretrainedSourceError naming
// finetune.from and what was expected.
PretrainedSource resolve_pretrained(const Config& cfg, const std::string& pretrained_dir, const std::string& runs_root);

// A fine-tune config's tree, before parsing: every `model` and `data` key it
// leaves out is taken from the pretraining trial's config.yaml (found as
// resolve_pretrained finds it), so a fine-tune config need not restate them;
// data.cache_dir stays this machine's. Does nothing for a pretraining config,
// for `from: pretrain` without `pretrained_dir`, or for a bare checkpoint.
// Throws PretrainedSourceError as resolve_pretrained does.
void inherit_pretrained_settings(YAML::Node& tree, const std::string& pretrained_dir, const std::string& runs_root);

// Copies every model parameter from the checkpoint (optimizer state is left
// behind). Throws when a parameter is missing or has another size.
void load_pretrained_weights(LanguageModel& model, const std::string& checkpoint);

}  // namespace altup
