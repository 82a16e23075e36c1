#include "util/experiment_identity.hpp"

namespace altup {
namespace {

void erase_at(nlohmann::json& j, const char* section, const char* key) {
    auto it = j.find(section);
    if (it != j.end() && it->is_object()) it->erase(key);
}

// Keys added after trials were first recorded, each with the value that means
// what files written before it did. Left out when they hold that value, so an
// earlier trial keeps its id (resume finds it) and its group.
struct AddedKey {
    const char* section;
    const char* subsection;
    const char* key;
    const char* unchanged_behaviour;
};
constexpr AddedKey kAddedKeys[] = {
    {"model", "sequence_altup", "offset", "fixed"},
};

void erase_added_keys_at_old_behaviour(nlohmann::json& config) {
    for (const AddedKey& k : kAddedKeys) {
        auto section = config.find(k.section);
        if (section == config.end() || !section->is_object()) continue;
        auto sub = section->find(k.subsection);
        if (sub == section->end() || !sub->is_object()) continue;
        auto value = sub->find(k.key);
        if (value != sub->end() && value->is_string() && value->get<std::string>() == k.unchanged_behaviour)
            sub->erase(value);
    }
}

}  // namespace

nlohmann::json experiment_identity(nlohmann::json config, IdentityOf of) {
    if (!config.is_object()) return config;
    config.erase("name");
    erase_added_keys_at_old_behaviour(config);
    erase_at(config, "data", "cache_dir");
    erase_at(config, "train", "threads");
    erase_at(config, "train", "checkpoint");  // what the folder keeps, not what the trial computes
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
