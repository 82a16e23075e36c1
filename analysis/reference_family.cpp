#include "analysis/reference_family.hpp"

#include <algorithm>
#include <map>

#include <fmt/format.h>

namespace altup {
namespace {

bool describes_model(const std::string& label, const std::string& variant_key, const std::string& size_key,
                     const std::vector<std::string>& companions) {
    return label == variant_key || label == size_key || label.rfind("model.", 0) == 0 ||
           std::find(companions.begin(), companions.end(), label) != companions.end();
}

std::map<std::string, std::string> setting_labels(const Group& g, const std::string& variant_key,
                                                  const std::string& size_key, const std::vector<std::string>& companions) {
    std::map<std::string, std::string> out;
    for (const auto& [key, value] : g.labels)
        if (!describes_model(key, variant_key, size_key, companions)) out[key] = value;
    if (g.standalone) out.erase("name");  // standalone runs of any name compare with each other
    return out;
}

}  // namespace

bool is_dense(const Group& g, const std::string& variant_key, const std::string& baseline) {
    // Hand-written or old result files may lack the model's keys.
    if (!g.identity.count("model.altup.k")) return method_of(g, variant_key) == baseline;
    const auto k = g.config_number("model.altup.k");
    const auto experts = g.config_number("model.moe.experts");
    const auto stride = g.config_number("model.sequence_altup.stride");
    return (!k || *k <= 1) && (!experts || *experts == 0) && (!stride || *stride <= 1);
}

bool in_family(const Group& g, const FamilySpec& family, const std::string& variant_key, const std::string& baseline) {
    if (family.match.empty()) return is_dense(g, variant_key, baseline);
    for (const auto& [key, value] : family.match) {
        auto label = g.labels.find(key);
        auto config = g.identity.find(key);
        const bool hit = (label != g.labels.end() && label->second == value) ||
                         (config != g.identity.end() && config->second == value);
        if (!hit) return false;
    }
    return true;
}

std::vector<std::size_t> family_of(const std::vector<Group>& groups, std::size_t g, const FamilySpec& family,
                                   const std::string& variant_key, const std::string& baseline,
                                   const std::string& size_key, const std::vector<std::string>& companions) {
    const Group& method = groups[g];
    const auto setting = setting_labels(method, variant_key, size_key, companions);
    std::vector<std::size_t> members;
    for (std::size_t j = 0; j < groups.size(); ++j) {
        const Group& b = groups[j];
        if (j == g || b.sweep != method.sweep || b.standalone != method.standalone) continue;
        if (!in_family(b, family, variant_key, baseline)) continue;
        if (setting_labels(b, variant_key, size_key, companions) != setting) continue;
        members.push_back(j);
    }
    return members;
}

std::string family_description(const FamilySpec& family) {
    if (family.match.empty()) return "dense models (no AltUp, no MoE, no Sequence-AltUp)";
    std::vector<std::string> parts;
    for (const auto& [key, value] : family.match) parts.push_back(key + "=" + value);
    return fmt::format("{}", fmt::join(parts, " "));
}

}  // namespace altup
