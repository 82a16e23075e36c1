// A trial's ckpt.safetensors (docs/result-files.md, "Checkpoints"): the
// tensors (weights, then optimizer state) and metadata that say whose trial
// it is and, when resumable, the loop's state as JSON. Pretraining and
// fine-tuning write and read it through these, so both refuse the same wrong
// files with the same words.
#pragma once
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "experiments/trial/safetensors.hpp"

namespace altup {

// What a trial's checkpoint files carry besides tensors.
struct CheckpointLabel {
    std::string format;                       // "altup-lab checkpoint v1", "altup-lab fine-tune checkpoint v1"
    std::string trial_id;                     // config_id of the trial
    std::map<std::string, std::string> more;  // further metadata (a fine-tune's pretrained_trial_id)
};

// A state to resume from: `tensors` (weights and optimizer state) and `state`.
void write_resumable_checkpoint(const std::string& path, const std::vector<NamedTensor>& tensors, const CheckpointLabel& label,
                                const nlohmann::json& state);

// The weights alone, once the trial completed (train.checkpoint: final).
void write_weights_checkpoint(const std::string& path, const std::vector<NamedTensor>& tensors, const CheckpointLabel& label,
                              long long step);

// Checks that `file` (read from `path`) is a resumable checkpoint of
// `trial_id`, copies its tensors into `into` (every name must be there with
// the destination's size) and returns the loop's state. Throws
// std::runtime_error naming the file and what is wrong.
nlohmann::json restore_checkpoint(const SafetensorsFile& file, const std::string& path, const std::string& trial_id,
                                  const std::vector<NamedTensor>& into);

}  // namespace altup
