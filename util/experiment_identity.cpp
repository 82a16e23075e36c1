#include "util/experiment_identity.hpp"

namespace altup {
namespace {

void erase_at(nlohmann::json& j, const char* section, const char* key) {
    auto it = j.find(section);
    if (it != j.end() && it->is_object()) it->erase(key);
}

}  // namespace

nlohmann::json experiment_identity(nlohmann::json config, IdentityOf of) {
    if (!config.is_object()) return config;
    config.erase("name");
    erase_at(config, "data", "cache_dir");
    erase_at(config, "train", "threads");
    // token_dtype only means something for pre-tokenized files; leaving it out
    // elsewhere keeps the ids of configs written before the key existed.
    auto data = config.find("data");
    if (data != config.end() && data->is_object() && data->value("corpus", "brown") != "tokens") data->erase("token_dtype");
    auto finetune = config.find("finetune");
    if (finetune != config.end() && finetune->is_object() && finetune->value("task", "none") == "none")
        config.erase(finetune);
    if (of == IdentityOf::group) {
        config.erase("seed");
        erase_at(config, "train", "checkpoint_every");
        erase_at(config, "train", "log_every");
    }
    return config;
}

}  // namespace altup
