#include "util/speed_config.hpp"

#include <stdexcept>

#include "util/hash.hpp"

namespace altup {

nlohmann::json speed_config(const nlohmann::json& resolved, int threads) {
    auto section = [&](const char* key) -> const nlohmann::json& {
        if (!resolved.is_object() || !resolved.contains(key) || !resolved.at(key).is_object())
            throw std::runtime_error(std::string("resolved config: no '") + key + "' section");
        return resolved.at(key);
    };
    nlohmann::json model = section("model");
    model.erase("preset");  // a name: the sizes it set are the keys next to it
    const nlohmann::json& train = section("train");
    nlohmann::json out = {{"model", model}, {"threads", threads}};
    for (const char* key : {"batch", "grad_accum", "optimizer", "dtype"}) {
        if (!train.contains(key)) throw std::runtime_error(std::string("resolved config: no 'train.") + key + "'");
        out["train"][key] = train.at(key);
    }
    return out;
}

std::string speed_config_id(const nlohmann::json& resolved, int threads) {
    return content_id(speed_config(resolved, threads).dump());  // sorted keys: canonical
}

}  // namespace altup
