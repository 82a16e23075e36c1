#include "analysis/named_choices.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "util/suggest.hpp"

namespace altup {
namespace {

// In first-seen order, as the tables list them.
void add_unique(std::vector<std::string>& list, const std::string& value) {
    if (std::find(list.begin(), list.end(), value) == list.end()) list.push_back(value);
}

std::string unknown(const std::string& what, const std::string& value, const std::string& why,
                    const std::vector<std::string>& candidates, const std::string& listed_as) {
    // As many edits as the config loader allows for a typo: 2, or a quarter of a long name.
    const std::string hint = closest_match(value, candidates, std::max<std::size_t>(2, value.size() / 4));
    return fmt::format("unknown {} '{}' ({}){} {}: {}", what, value, why,
                       hint.empty() ? ";" : fmt::format("; did you mean '{}'?", hint), listed_as,
                       candidates.empty() ? std::string("none") : fmt::format("{}", fmt::join(candidates, ", ")));
}

}  // namespace

std::string check_named_choices(const Analysis& a, const AnalyzeOptions& o, const NamedChoices& given) {
    std::vector<std::string> keys;  // the groups' labels (seed is never one)
    for (const Group& g : a.groups)
        for (const auto& [key, value] : g.labels) add_unique(keys, key);
    const auto has_key = [&](const std::string& k) { return std::find(keys.begin(), keys.end(), k) != keys.end(); };
    if (given.variant_key && !has_key(o.variant_key))
        return unknown("--variant-key", o.variant_key, "no trial has this label", keys, "keys");
    if (given.baseline) {
        std::vector<std::string> methods;
        for (const Group& g : a.groups) add_unique(methods, method_of(g, o.variant_key));
        if (std::find(methods.begin(), methods.end(), o.baseline) == methods.end())
            return unknown("--baseline", o.baseline, fmt::format("no trial has {}={}", o.variant_key, o.baseline),
                           methods, fmt::format("values of {}", o.variant_key));
    }
    if (given.pivot && o.pivot_key != "none" && !has_key(o.pivot_key))
        return unknown("--pivot key", o.pivot_key, "no trial has it", keys, "keys");
    return "";
}

}  // namespace altup
