#include "experiments/trial/trial_checkpoint.hpp"

#include <stdexcept>

#include "experiments/trial/checkpoint_policy.hpp"

namespace altup {

namespace {
std::map<std::string, std::string> metadata_of(const CheckpointLabel& label) {
    std::map<std::string, std::string> m = label.more;
    m["format"] = label.format;
    m["trial_id"] = label.trial_id;
    return m;
}

std::string metadata_value(const SafetensorsFile& f, const char* key) {
    const auto it = f.metadata.find(key);
    return it == f.metadata.end() ? "" : it->second;
}
}  // namespace

void write_resumable_checkpoint(const std::string& path, const std::vector<NamedTensor>& tensors, const CheckpointLabel& label,
                                const nlohmann::json& state) {
    std::map<std::string, std::string> m = metadata_of(label);
    m["state"] = state.dump();
    write_safetensors(path, tensors, m);
}

void write_weights_checkpoint(const std::string& path, const std::vector<NamedTensor>& tensors, const CheckpointLabel& label,
                              long long step) {
    std::map<std::string, std::string> m = metadata_of(label);
    m["contents"] = kFinalWeights;
    m["step"] = std::to_string(step);
    write_safetensors(path, tensors, m);
}

nlohmann::json restore_checkpoint(const SafetensorsFile& f, const std::string& path, const std::string& trial_id,
                                  const std::vector<NamedTensor>& into) {
    if (metadata_value(f, "trial_id") != trial_id)
        throw std::runtime_error(path + ": belongs to trial " + metadata_value(f, "trial_id") + ", not to this config (" + trial_id + ")");
    if (metadata_value(f, "contents") == kFinalWeights)
        throw std::runtime_error(path + ": holds the final weights of a completed trial (train.checkpoint: final), not a state to "
                                        "resume from");
    for (const NamedTensor& t : into) {
        const auto it = f.tensors.find(t.name);
        if (it == f.tensors.end() || it->second.numel() != t.tensor.numel())
            throw std::runtime_error(path + ": missing or mis-sized tensor " + t.name);
        t.tensor.copy_from(it->second);
    }
    return nlohmann::json::parse(metadata_value(f, "state"));
}

}  // namespace altup
