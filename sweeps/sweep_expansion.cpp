#include "sweeps/sweep_expansion.hpp"

#include <set>
#include <cstdlib>

#include <fmt/format.h>

#include "experiments/config/config_io.hpp"

namespace altup {
namespace {

// One override of a draft trial, with where the sweep file set it (for messages).
struct DraftOverride {
    std::string key;
    YAML::Node value;
    SourcePos pos;
    std::string origin;  // "grid", "variant 'altup-k2'", ...
};

// One trial before its config is built: overrides in order, and its labels.
struct Draft {
    std::vector<DraftOverride> overrides;
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
    for (const auto& a : spec.set) drafts[0].overrides.push_back({a.key, a.value, a.pos, "set"});
    if (!spec.variants.empty())
        cross(spec.variants.size(), [&](Draft& d, size_t i) {
            const Variant& v = spec.variants[i];
            for (const auto& a : v.overrides) d.overrides.push_back({a.key, a.value, a.pos, "variant '" + v.name + "'"});
            d.labels["variant"] = v.name;
        });
    for (const auto& axis : spec.grid)
        cross(axis.values.size(), [&](Draft& d, size_t i) {
            d.overrides.push_back({axis.key, axis.values[i], SourcePos::of(spec.file, axis.values[i]), "grid"});
            d.labels[axis.key] = value_text(axis.values[i]);
        });
    for (const auto& group : spec.zips)
        cross(group.length(), [&](Draft& d, size_t i) {
            for (const auto& list : group.lists) {
                d.overrides.push_back({list.key, list.values[i], SourcePos::of(spec.file, list.values[i]), "zip"});
                d.labels[list.key] = value_text(list.values[i]);
            }
        });
    if (spec.samples.length() > 0)  // drawn values have no place in the file: messages name the distribution
        cross(spec.samples.length(), [&](Draft& d, size_t i) {
            for (const auto& list : spec.samples.lists) {
                d.overrides.push_back({list.key, list.values[i], list.pos, "sample"});
                d.labels[list.key] = value_text(list.values[i]);
            }
        });
    if (spec.has_seeds)
        cross(spec.seeds.size(), [&](Draft& d, size_t i) {
            d.overrides.push_back({"seed", seed_node(spec.seeds[i]), spec.seeds_pos, "seeds"});
            d.labels["seed"] = std::to_string(spec.seeds[i]);
        });
    return drafts;
}

// An include entry adds trials of its own: its variant's overrides, its keys,
// and each of the sweep's seeds unless it names one.
std::vector<Draft> include_drafts(const SweepSpec& spec, const PartialAssignment& partial) {
    Draft draft;
    for (const auto& a : spec.set) draft.overrides.push_back({a.key, a.value, a.pos, "set"});
    bool has_seed = false;
    for (const auto& a : partial.entries) {
        if (a.key == "variant") {
            const Variant* v = spec.find_variant(a.value.Scalar());
            for (const auto& o : v->overrides) draft.overrides.push_back({o.key, o.value, o.pos, "variant '" + v->name + "'"});
            draft.labels["variant"] = v->name;
        }
    }
    for (const auto& a : partial.entries) {
        if (a.key == "variant") continue;
        has_seed = has_seed || a.key == "seed";
        draft.overrides.push_back({a.key, a.value, a.pos, "include"});
        draft.labels[a.key] = value_text(a.value);
    }
    if (has_seed || !spec.has_seeds) return {draft};
    std::vector<Draft> out;
    for (uint64_t seed : spec.seeds) {
        Draft d = draft;
        d.overrides.push_back({"seed", seed_node(seed), spec.seeds_pos, "seeds"});
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

// Where the base config wrote a dotted key, or null when it relies on the default.
YAML::Node find_in_base(const YAML::Node& base, const std::string& dotted) {
    YAML::Node node = base;
    size_t start = 0;
    while (true) {
        const size_t dot = dotted.find('.', start);
        if (!node.IsMap()) return YAML::Node(YAML::NodeType::Undefined);
        node = node[dotted.substr(start, dot == std::string::npos ? std::string::npos : dot - start)];
        if (!node.IsDefined() || dot == std::string::npos) return node;
        start = dot + 1;
    }
}

// Re-points a config error at the file the user should edit. A trial's tree
// is a copy (yaml-cpp copies lose marks), so the position is recovered here:
// the sweep file's override when one set the key, else the base config's
// line. Errors read elsewhere pass through whole.
SweepError trial_error(const SweepSpec& spec, const Draft& draft, const std::string& source, const ConfigError& e) {
    const std::string trial = labels_text(draft.labels);
    const std::string message = e.what();
    if (message.compare(0, source.size(), source) != 0) return SweepError(message);
    const bool at_source = e.where.compare(0, source.size(), source) == 0 &&
                           (e.where.size() == source.size() || e.where[source.size()] == ':');
    if (e.key.empty() || !at_source)
        return SweepError(fmt::format("{}: trial {}{}", spec.file, trial, message.substr(source.size())));
    const std::string& key = e.key;
    const std::string& what = e.problem;
    for (auto it = draft.overrides.rbegin(); it != draft.overrides.rend(); ++it)
        if (it->key == key)
            return SweepError(fmt::format("{}: key '{}' (in {}): {} (trial {})", it->pos.str(), key, it->origin, what, trial));
    const YAML::Node in_base = find_in_base(spec.base, key);
    if (in_base.IsDefined()) {
        const bool inline_base = spec.base_source.rfind(spec.file, 0) == 0;
        return SweepError(fmt::format("{}: key '{}' (in the base config): {} (trial {})",
                                      SourcePos::of(inline_base ? spec.file : spec.base_source, in_base).str(), key, what, trial));
    }
    return SweepError(fmt::format("{}: trial {}: key '{}': {}", spec.file, trial, key, what));
}

Trial build_trial(const SweepSpec& spec, Draft draft) {
    const std::string source = fmt::format("{}: trial {}", spec.file, labels_text(draft.labels));
    Trial trial;
    YAML::Node root = YAML::Clone(spec.base);
    try {
        for (const auto& o : draft.overrides) {
            const std::string text = override_text(o.value);
            apply_override(root, o.key + "=" + text, source);
            trial.overrides.emplace_back(o.key, text);
        }
        trial.name = trial_name(spec, draft);
        root["name"] = trial.name;
        trial.config = parse_config(root, source);
    } catch (const ConfigError& e) {
        throw trial_error(spec, draft, source, e);
    }
    trial.config.name = trial.name;
    // Without a seeds axis every trial still says which seed it ran.
    if (!draft.labels.count("seed")) draft.labels["seed"] = std::to_string(trial.config.seed);
    trial.labels = std::move(draft.labels);
    trial.id = config_id(trial.config);
    return trial;
}

}  // namespace

std::string pretraining_trial_id(const Config& config) {
    if (!config.finetuning() || config.finetune.from != "pretrain") return "";
    Config pretraining = config;
    pretraining.finetune = FinetuneConfig{};
    return config_id(pretraining);
}

size_t trial_index(const SweepExpansion& sweep, const std::string& id) {
    for (size_t i = 0; i < sweep.trials.size(); ++i)
        if (sweep.trials[i].id == id) return i;
    return sweep.trials.size();
}

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

    // Two-stage sweeps: a fine-tune trial with finetune.from: pretrain starts
    // from the trial of this sweep whose config is the same with task none.
    for (auto& trial : expansion.trials) {
        const std::string pretraining = pretraining_trial_id(trial.config);
        if (pretraining.empty()) continue;
        if (!index_by_id.count(pretraining)) {
            std::map<std::string, std::string> wanted = trial.labels;
            for (auto& [key, value] : wanted)
                if (key.rfind("finetune.", 0) == 0) value = key == "finetune.task" ? "none" : "(default)";
            throw SweepError(fmt::format(
                "{}: trial '{}' fine-tunes from the sweep's pretraining trial (finetune.from: pretrain), but the sweep "
                "has no pretraining trial with the same config and finetune.task none (id {}{}); add none to "
                "finetune.task (e.g. grid: {{finetune.task: [none, {}]}}) or an include entry with finetune.task: none, "
                "or set finetune.from to a trial folder or checkpoint outside the sweep",
                spec.file, labels_text(trial.labels), pretraining,
                wanted == trial.labels ? "" : ", labels " + labels_text(wanted), to_string(trial.config.finetune.task)));
        }
        const Trial& source = expansion.trials[index_by_id.at(pretraining)];
        if (source.config.train.checkpoint == CheckpointKeep::none)
            throw SweepError(fmt::format(
                "{}: trial '{}' fine-tunes from the weights of trial '{}', which keeps no checkpoint (train.checkpoint: "
                "none); set train.checkpoint to final (the default) or all for the pretraining trials",
                spec.file, labels_text(trial.labels), labels_text(source.labels)));
        trial.depends_on = pretraining;
    }
    return expansion;
}

void select_trials(SweepExpansion& sweep, const std::vector<std::pair<std::string, std::string>>& only) {
    if (only.empty()) return;
    std::set<std::string> keys;
    for (const auto& t : sweep.trials)
        for (const auto& [k, v] : t.labels) keys.insert(k);
    for (const auto& [k, v] : only)
        if (!keys.count(k)) {
            std::string known;
            for (const auto& key : keys) known += (known.empty() ? "" : ", ") + key;
            throw SweepError("--only " + k + "=" + v + ": no trial of sweep '" + sweep.spec.name + "' has the label '" + k +
                             "' (its labels: " + known + ")");
        }
    auto matches = [&](const Trial& t) {
        for (const auto& [k, v] : only) {
            auto it = t.labels.find(k);
            if (it == t.labels.end() || it->second != v) return false;
        }
        return true;
    };
    std::set<std::string> keep;
    for (const auto& t : sweep.trials)
        if (matches(t)) {
            keep.insert(t.id);
            if (!t.depends_on.empty()) keep.insert(t.depends_on);  // its pretraining trial runs first
        }
    if (keep.empty()) {
        std::string what;
        for (const auto& [k, v] : only) what += (what.empty() ? "" : " ") + k + "=" + v;
        throw SweepError("--only " + what + ": no trial of sweep '" + sweep.spec.name + "' matches");
    }
    std::vector<Trial> kept;
    for (auto& t : sweep.trials)
        if (keep.count(t.id)) kept.push_back(std::move(t));
    sweep.trials = std::move(kept);
}

}  // namespace altup
