#include "sweeps/sweep_expansion.hpp"

#include <cstdlib>

#include <fmt/format.h>

#include "experiments/config/config_io.hpp"

namespace altup {
namespace {

// One trial before its config is built: overrides in order, and its labels.
struct Draft {
    std::vector<std::pair<std::string, YAML::Node>> overrides;
    std::map<std::string, std::string> labels;
};

// "1e-3" and "0.001" name the same learning rate in an exclude entry.
bool same_value(const std::string& a, const std::string& b) {
    if (a == b) return true;
    char* end_a = nullptr;
    char* end_b = nullptr;
    const double x = std::strtod(a.c_str(), &end_a);
    const double y = std::strtod(b.c_str(), &end_b);
    return !a.empty() && !b.empty() && *end_a == '\0' && *end_b == '\0' && x == y;
}

bool matches(const PartialAssignment& partial, const Draft& draft) {
    for (const auto& entry : partial.entries) {
        auto it = draft.labels.find(entry.key);
        if (it == draft.labels.end() || !same_value(it->second, value_text(entry.value))) return false;
    }
    return true;
}

YAML::Node seed_node(uint64_t seed) { return YAML::Node(seed); }

// The product of variants x grid x zip groups x seeds, the last varying fastest.
std::vector<Draft> cross_product(const SweepSpec& spec) {
    std::vector<Draft> drafts(1);
    auto cross = [&](size_t n, auto&& add) {
        std::vector<Draft> next;
        for (const auto& d : drafts)
            for (size_t i = 0; i < n; ++i) {
                Draft copy = d;
                add(copy, i);
                next.push_back(std::move(copy));
            }
        drafts = std::move(next);
    };
    for (const auto& a : spec.set) drafts[0].overrides.emplace_back(a.key, a.value);
    if (!spec.variants.empty())
        cross(spec.variants.size(), [&](Draft& d, size_t i) {
            const Variant& v = spec.variants[i];
            for (const auto& a : v.overrides) d.overrides.emplace_back(a.key, a.value);
            d.labels["variant"] = v.name;
        });
    for (const auto& axis : spec.grid)
        cross(axis.values.size(), [&](Draft& d, size_t i) {
            d.overrides.emplace_back(axis.key, axis.values[i]);
            d.labels[axis.key] = value_text(axis.values[i]);
        });
    for (const auto& group : spec.zips)
        cross(group.length(), [&](Draft& d, size_t i) {
            for (const auto& list : group.lists) {
                d.overrides.emplace_back(list.key, list.values[i]);
                d.labels[list.key] = value_text(list.values[i]);
            }
        });
    if (spec.has_seeds)
        cross(spec.seeds.size(), [&](Draft& d, size_t i) {
            d.overrides.emplace_back("seed", seed_node(spec.seeds[i]));
            d.labels["seed"] = std::to_string(spec.seeds[i]);
        });
    return drafts;
}

// An include entry adds trials of its own: its variant's overrides, its keys,
// and each of the sweep's seeds unless it names one.
std::vector<Draft> include_drafts(const SweepSpec& spec, const PartialAssignment& partial) {
    Draft draft;
    for (const auto& a : spec.set) draft.overrides.emplace_back(a.key, a.value);
    bool has_seed = false;
    for (const auto& a : partial.entries) {
        if (a.key == "variant") {
            const Variant* v = spec.find_variant(a.value.Scalar());
            for (const auto& o : v->overrides) draft.overrides.emplace_back(o.key, o.value);
            draft.labels["variant"] = v->name;
        }
    }
    for (const auto& a : partial.entries) {
        if (a.key == "variant") continue;
        has_seed = has_seed || a.key == "seed";
        draft.overrides.emplace_back(a.key, a.value);
        draft.labels[a.key] = value_text(a.value);
    }
    if (has_seed || !spec.has_seeds) return {draft};
    std::vector<Draft> out;
    for (uint64_t seed : spec.seeds) {
        Draft d = draft;
        d.overrides.emplace_back("seed", seed_node(seed));
        d.labels["seed"] = std::to_string(seed);
        out.push_back(std::move(d));
    }
    return out;
}

std::string trial_name(const SweepSpec& spec, const Draft& draft) {
    std::string name = spec.name;
    for (const auto& [key, value] : ordered_labels(draft.labels))
        name += (key == "seed" ? "-s" : "-") + value;
    return name;
}

Trial build_trial(const SweepSpec& spec, Draft draft) {
    const std::string source = fmt::format("{}: trial {}", spec.file, labels_text(draft.labels));
    Trial trial;
    YAML::Node root = YAML::Clone(spec.base);
    try {
        for (const auto& [key, value] : draft.overrides) {
            const std::string text = override_text(value);
            apply_override(root, key + "=" + text, source);
            trial.overrides.emplace_back(key, text);
        }
        trial.name = trial_name(spec, draft);
        root["name"] = trial.name;
        trial.config = parse_config(root, source);
    } catch (const ConfigError& e) {
        throw SweepError(e.what());
    }
    trial.config.name = trial.name;
    // Without a seeds axis every trial still says which seed it ran.
    if (!draft.labels.count("seed")) draft.labels["seed"] = std::to_string(trial.config.seed);
    trial.labels = std::move(draft.labels);
    trial.id = config_id(trial.config);
    return trial;
}

}  // namespace

std::vector<std::pair<std::string, std::string>> ordered_labels(const std::map<std::string, std::string>& labels) {
    std::vector<std::pair<std::string, std::string>> out;
    if (labels.count("variant")) out.emplace_back("variant", labels.at("variant"));
    for (const auto& [key, value] : labels)
        if (key != "variant" && key != "seed") out.emplace_back(key, value);
    if (labels.count("seed")) out.emplace_back("seed", labels.at("seed"));
    return out;
}

std::string labels_text(const std::map<std::string, std::string>& labels) {
    std::string out;
    for (const auto& [key, value] : ordered_labels(labels)) {
        if (!out.empty()) out += ' ';
        out += key + "=" + value;
    }
    return out.empty() ? "(base)" : out;
}

SweepExpansion expand_sweep(const SweepSpec& spec) {
    SweepExpansion expansion;
    expansion.spec = spec;

    // The base alone must be a valid config: its errors then name its own file.
    try {
        parse_config(spec.base, spec.base_source);
    } catch (const ConfigError& e) {
        throw SweepError(fmt::format("{}: base config is invalid: {}", spec.file, e.what()));
    }

    std::vector<Draft> drafts;
    std::vector<size_t> exclude_hits(spec.exclude.size(), 0);
    for (auto& draft : cross_product(spec)) {
        bool excluded = false;
        for (size_t i = 0; i < spec.exclude.size(); ++i)
            if (matches(spec.exclude[i], draft)) { ++exclude_hits[i]; excluded = true; }
        if (!excluded) drafts.push_back(std::move(draft));
    }
    for (size_t i = 0; i < spec.exclude.size(); ++i)
        if (exclude_hits[i] == 0)
            expansion.warnings.push_back(fmt::format("{}: exclude entry matches no trial", spec.exclude[i].pos.str()));
    for (const auto& partial : spec.include)
        for (auto& draft : include_drafts(spec, partial)) drafts.push_back(std::move(draft));

    std::map<std::string, size_t> index_by_id;
    for (auto& draft : drafts) {
        Trial trial = build_trial(spec, std::move(draft));
        auto [it, fresh] = index_by_id.emplace(trial.id, expansion.trials.size());
        if (!fresh)
            throw SweepError(fmt::format("{}: trials '{}' and '{}' resolve to the same config (id {}); "
                                         "drop one with exclude or change a value",
                                         spec.file, labels_text(expansion.trials[it->second].labels),
                                         labels_text(trial.labels), trial.id));
        expansion.trials.push_back(std::move(trial));
    }
    if (expansion.trials.empty()) throw SweepError(fmt::format("{}: the sweep expands to no trials", spec.file));
    return expansion;
}

}  // namespace altup
