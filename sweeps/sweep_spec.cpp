#include "sweeps/sweep_spec.hpp"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <map>
#include <set>

#include <fmt/format.h>

#include "experiments/config/config_io.hpp"
#include "experiments/config/yaml_reading.hpp"
#include "sweeps/sweep_sampling.hpp"
#include "util/suggest.hpp"

namespace altup {
namespace {

const std::vector<std::string> kSweepKeys = {"name",    "description", "base",    "set",     "grid",    "variants",
                                             "zip",     "sample",      "samples", "sample_seed", "seeds", "exclude",
                                             "include"};

std::string suggest_sweep_key(const std::string& key) {
    return closest_match(key, kSweepKeys, 2);  // farther than 2 edits is not a typo
}

bool is_config_key(const std::string& key) { return key == "seed" || is_known_key(key); }

// Linux's NAME_MAX: the sweep name is a folder (runs/<sweep>/).
constexpr size_t kMaxFolderName = 255;

// A YAML problem of a sweep file (or its base config) as a sweep error.
[[noreturn]] void throw_yaml_problem(const YamlReadError& e) {
    throw_sweep_error(SourcePos{e.source, e.line, e.column}, e.key, e.problem);
}

// Names of folders and labels: no path separators, no surprises in a shell.
bool is_safe_name(const std::string& s) {
    if (s.empty() || s == "." || s == "..") return false;
    return std::all_of(s.begin(), s.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
    });
}

class SpecParser {
public:
    SpecParser(const std::string& file, const std::string& base_dir) : file_(file), base_dir_(base_dir) {
        spec_.file = file;
    }

    SweepSpec parse(const YAML::Node& root) {
        if (!root.IsDefined() || root.IsNull())
            throw_sweep_error(pos(root), "", "empty sweep file; expected a mapping with name, base and axes");
        if (!root.IsMap()) throw_sweep_error(pos(root), "", "a sweep file must be a mapping (name, base, grid, ...)");

        std::map<std::string, YAML::Node> sections;
        for (const auto& entry : root) {
            const std::string key = key_name(entry.first, "");
            if (std::find(kSweepKeys.begin(), kSweepKeys.end(), key) == kSweepKeys.end()) {
                const std::string hint = suggest_sweep_key(key);
                throw_sweep_error(pos(entry.first), key,
                                  fmt::format("unknown sweep key{}; a sweep has: {}",
                                              hint.empty() ? "" : fmt::format(" (did you mean '{}'?)", hint),
                                              fmt::join(kSweepKeys, ", ")));
            }
            if (sections.count(key)) throw_sweep_error(pos(entry.first), key, "given twice");
            sections[key] = entry.second;
            key_pos_[key] = pos(entry.first);
        }
        auto section = [&](const std::string& key) { return sections.count(key) ? sections[key] : YAML::Node(); };

        if (!sections.count("name")) throw_sweep_error(pos(root), "name", "missing; every sweep needs a name (its runs folder)");
        if (!sections.count("base"))
            throw_sweep_error(pos(root), "base", "missing; give a config file (base: path.yaml) or an inline mapping");
        parse_name(section("name"));
        if (sections.count("description")) spec_.description = scalar(section("description"), "description");
        parse_base(section("base"));
        if (sections.count("set")) spec_.set = parse_overrides(section("set"), "set");
        if (sections.count("grid")) parse_grid(section("grid"));
        if (sections.count("zip")) parse_zip(section("zip"));
        parse_sample(sections);
        if (sections.count("variants")) parse_variants(section("variants"));
        if (sections.count("seeds")) parse_seeds(section("seeds"));
        check_contradictions();
        if (sections.count("exclude")) spec_.exclude = parse_partials(section("exclude"), "exclude");
        if (sections.count("include")) spec_.include = parse_partials(section("include"), "include");
        return spec_;
    }

private:
    SourcePos pos(const YAML::Node& node) const { return SourcePos::of(file_, node); }

    // A mapping's key as text; a list or mapping used as a key is refused.
    std::string key_name(const YAML::Node& key, const std::string& section) {
        if (!key.IsScalar())
            throw_sweep_error(pos(key), section, "expected a key name here, got a list or mapping (a key is plain text)");
        return key.Scalar();
    }

    std::string scalar(const YAML::Node& node, const std::string& key) {
        if (!node.IsScalar()) throw_sweep_error(pos(node), key, "expected a single value");
        return node.Scalar();
    }

    void parse_name(const YAML::Node& node) {
        spec_.name = scalar(node, "name");
        if (!is_safe_name(spec_.name))
            throw_sweep_error(pos(node), "name", fmt::format("'{}' is not a folder name; use letters, digits, '-', '_', '.'", spec_.name));
        if (spec_.name.size() > kMaxFolderName)
            throw_sweep_error(pos(node), "name",
                              fmt::format("the name is {} bytes long, but it names the sweep's folder and a folder name can "
                                          "have at most {} (the file system's NAME_MAX): shorten it",
                                          spec_.name.size(), kMaxFolderName));
    }

    void parse_base(const YAML::Node& node) {
        if (node.IsMap()) {
            spec_.base = node;
            spec_.base_source = file_ + " (inline base)";
            return;
        }
        if (!node.IsScalar()) throw_sweep_error(pos(node), "base", "expected a config file path or a mapping");
        std::filesystem::path path = node.Scalar();
        if (path.is_relative()) path = std::filesystem::path(base_dir_) / path;
        spec_.base_source = path.lexically_normal().string();
        if (!std::filesystem::is_regular_file(spec_.base_source))
            throw_sweep_error(pos(node), "base", fmt::format("cannot read the base config '{}' (no such file)", spec_.base_source));
        std::vector<YAML::Node> documents;
        try {
            documents = read_yaml_file(spec_.base_source, "base config");
        } catch (const YamlReadError& e) {
            throw_sweep_error(pos(node), "base", fmt::format("cannot use the base config: {}", e.what()));
        }
        if (documents.size() != 1)
            throw_sweep_error(pos(node), "base", fmt::format("the base config '{}' must hold one YAML document, it holds {}",
                                                             spec_.base_source, documents.size()));
        spec_.base = documents[0];
        if (!spec_.base.IsMap())
            throw_sweep_error(pos(node), "base", fmt::format("the base config '{}' is not a mapping", spec_.base_source));
    }

    void check_key(const std::string& key, const SourcePos& where, const std::string& section) {
        if (is_config_key(key)) return;
        const std::string hint = suggest_key(key);
        throw_sweep_error(where, key,
                          fmt::format("not a config key (in {}){}", section,
                                      hint.empty() ? "" : fmt::format("; did you mean '{}'?", hint)));
    }

    // Nested mappings are dotted paths: {model: {altup: {k: 2}}} == {model.altup.k: 2},
    // unless the mapping itself is the value of a known key.
    void flatten(const YAML::Node& map, const std::string& prefix, std::vector<Assignment>& out) {
        for (const auto& entry : map) {
            const std::string key = prefix + key_name(entry.first, prefix.empty() ? "" : prefix.substr(0, prefix.size() - 1));
            if (entry.second.IsMap() && !is_config_key(key)) {
                flatten(entry.second, key + ".", out);
                continue;
            }
            out.push_back({key, entry.second, pos(entry.first)});
        }
    }

    std::vector<Assignment> parse_overrides(const YAML::Node& node, const std::string& section) {
        std::vector<Assignment> out;
        if (!node.IsDefined() || node.IsNull()) return out;
        if (!node.IsMap()) throw_sweep_error(pos(node), section, "expected a mapping of dotted config keys to values");
        flatten(node, "", out);
        std::set<std::string> seen;
        for (const auto& a : out) {
            check_key(a.key, a.pos, section);
            if (!seen.insert(a.key).second) throw_sweep_error(a.pos, a.key, fmt::format("given twice in {}", section));
            if (a.value.IsNull()) throw_sweep_error(a.pos, a.key, fmt::format("has no value (in {})", section));
        }
        return out;
    }

    std::vector<AxisValues> parse_lists(const YAML::Node& node, const std::string& section) {
        std::vector<AxisValues> out;
        for (const auto& a : parse_overrides(node, section)) {
            if (!a.value.IsSequence())
                throw_sweep_error(a.pos, a.key, fmt::format("expected a list of values (in {})", section));
            if (a.value.size() == 0) throw_sweep_error(a.pos, a.key, fmt::format("empty list (in {}); give at least one value", section));
            AxisValues axis{a.key, {}, a.pos};
            for (const auto& v : a.value) axis.values.push_back(v);
            out.push_back(axis);
        }
        return out;
    }

    void parse_grid(const YAML::Node& node) {
        if (!node.IsMap()) throw_sweep_error(pos(node), "grid", "expected a mapping of dotted keys to lists");
        spec_.grid = parse_lists(node, "grid");
    }

    // zip: {a: [..], b: [..]} is one group; a list of such mappings is several.
    void parse_zip(const YAML::Node& node) {
        std::vector<YAML::Node> groups;
        if (node.IsMap()) groups.push_back(node);
        else if (node.IsSequence()) for (const auto& g : node) groups.push_back(g);
        else throw_sweep_error(pos(node), "zip", "expected a mapping of keys to equal-length lists, or a list of them");
        for (const auto& g : groups) {
            if (!g.IsMap()) throw_sweep_error(pos(g), "zip", "each zip group is a mapping of keys to equal-length lists");
            ZipGroup group{parse_lists(g, "zip"), pos(g)};
            if (group.lists.empty()) throw_sweep_error(pos(g), "zip", "empty zip group");
            for (const auto& list : group.lists) {
                if (list.values.size() == group.length()) continue;
                throw_sweep_error(list.pos, list.key,
                                  fmt::format("zip lists must have equal lengths: '{}' has {} values but '{}' has {}",
                                              list.key, list.values.size(), group.lists.front().key, group.length()));
            }
            spec_.zips.push_back(group);
        }
    }

    // sample: {key: distribution}, samples: N, sample_seed: S (default 1).
    void parse_sample(std::map<std::string, YAML::Node>& sections) {
        const bool block = sections.count("sample"), count = sections.count("samples");
        if (!block && !count && !sections.count("sample_seed")) return;
        if (!block) throw_sweep_error(key_pos_[count ? "samples" : "sample_seed"], count ? "samples" : "sample_seed",
                                      "needs a sample: block naming the keys to draw, e.g. sample: {train.lr: {log_uniform: [1e-4, 1e-2]}}");
        if (!count) throw_sweep_error(key_pos_["sample"], "sample", "needs samples: N, the number of points to draw");
        const YAML::Node node = sections["sample"];
        if (!node.IsMap() || node.size() == 0)
            throw_sweep_error(pos(node), "sample", "expected a mapping of dotted config keys to distributions");
        std::vector<Assignment> flat;
        flatten_distributions(node, "", flat);
        std::vector<SampledKey> keys;
        std::set<std::string> seen;
        for (const auto& a : flat) {
            check_key(a.key, a.pos, "sample");
            if (!seen.insert(a.key).second) throw_sweep_error(a.pos, a.key, "given twice in sample");
            keys.push_back(parse_sampled_key(a));
        }
        const long long n = count_value(sections["samples"], "samples", 1, 10000);
        const long long seed = sections.count("sample_seed") ? count_value(sections["sample_seed"], "sample_seed", 0, -1) : 1;
        spec_.samples = draw_samples(keys, static_cast<size_t>(n), static_cast<uint64_t>(seed), pos(node));
    }

    // Like flatten, but a mapping naming a distribution ({uniform: ...}) is a value, whatever
    // its key: a misspelt key then reads as one ("did you mean"), not as a nested section.
    void flatten_distributions(const YAML::Node& map, const std::string& prefix, std::vector<Assignment>& out) {
        for (const auto& entry : map) {
            const std::string key = prefix + key_name(entry.first, "sample");
            const YAML::Node& v = entry.second;
            const bool distribution = v.IsMap() && (v["uniform"] || v["log_uniform"] || v["choice"]);
            if (v.IsMap() && !distribution && !is_config_key(key)) {
                flatten_distributions(v, key + ".", out);
                continue;
            }
            out.push_back({key, v, pos(entry.first)});
        }
    }

    // An integer in [low, high] (high < 0: no upper bound).
    long long count_value(const YAML::Node& n, const std::string& key, long long low, long long high) {
        long long v = low - 1;
        try {
            if (n.IsScalar()) v = n.as<long long>();
        } catch (const YAML::Exception&) {
        }
        if (v < low || (high >= 0 && v > high))
            throw_sweep_error(pos(n), key, high >= 0 ? fmt::format("expected an integer from {} to {}", low, high)
                                                     : fmt::format("expected an integer >= {}", low));
        return v;
    }

    void parse_variants(const YAML::Node& node) {
        if (!node.IsMap()) throw_sweep_error(pos(node), "variants", "expected a mapping of variant names to overrides");
        if (node.size() == 0) throw_sweep_error(pos(node), "variants", "empty; name at least one variant (e.g. baseline: {})");
        std::set<std::string> names;
        for (const auto& entry : node) {
            Variant v{key_name(entry.first, "variants"), {}, pos(entry.first)};
            if (!is_safe_name(v.name))
                throw_sweep_error(v.pos, "variants." + v.name, "variant names use letters, digits, '-', '_', '.'");
            if (!names.insert(v.name).second) throw_sweep_error(v.pos, "variants." + v.name, "duplicate variant");
            v.overrides = parse_overrides(entry.second, "variant '" + v.name + "'");
            spec_.variants.push_back(v);
        }
    }

    void parse_seeds(const YAML::Node& node) {
        spec_.has_seeds = true;
        spec_.seeds_pos = pos(node);
        auto as_seed = [&](const YAML::Node& n) {
            long long value = -1;
            try {
                value = n.as<long long>();
            } catch (const YAML::Exception&) {
            }
            if (!n.IsScalar() || value < 0) throw_sweep_error(pos(n), "seeds", "seeds are non-negative integers");
            return static_cast<uint64_t>(value);
        };
        if (node.IsScalar()) {
            const uint64_t count = as_seed(node);
            if (count == 0 || count > 10000) throw_sweep_error(pos(node), "seeds", "a seed count is between 1 and 10000");
            for (uint64_t s = 1; s <= count; ++s) spec_.seeds.push_back(s);
        } else if (node.IsSequence()) {
            if (node.size() == 0) throw_sweep_error(pos(node), "seeds", "empty list; give seeds or a count");
            std::set<uint64_t> seen;
            for (const auto& n : node) {
                const uint64_t s = as_seed(n);
                if (!seen.insert(s).second) throw_sweep_error(pos(n), "seeds", fmt::format("seed {} given twice", s));
                spec_.seeds.push_back(s);
            }
        } else {
            throw_sweep_error(pos(node), "seeds", "expected a count (seeds: 3) or a list (seeds: [1, 2, 3])");
        }
    }

    // A trial takes each key from one place only: a key set by two of
    // set/grid/zip/variants/seeds would silently make one of them a no-op.
    void check_contradictions() {
        struct Owner { std::string where; SourcePos pos; };
        std::map<std::string, Owner> owners;
        auto claim = [&](const std::string& key, const std::string& where, const SourcePos& at) {
            auto it = owners.find(key);
            if (it == owners.end()) { owners[key] = {where, at}; return; }
            if (it->second.where == where) return;  // e.g. two variants setting the same key
            throw_sweep_error(at, key, fmt::format("set by both {} ({}) and {}; a trial can take a key from one place only",
                                                   it->second.where, it->second.pos.str(), where));
        };
        for (const auto& a : spec_.set) claim(a.key, "set", a.pos);
        for (const auto& axis : spec_.grid) claim(axis.key, "grid", axis.pos);
        for (const auto& group : spec_.zips)
            for (const auto& list : group.lists) {
                if (owners.count(list.key) && owners[list.key].where == "zip")
                    throw_sweep_error(list.pos, list.key, fmt::format("in two zip groups (first at {})", owners[list.key].pos.str()));
                claim(list.key, "zip", list.pos);
            }
        for (const auto& list : spec_.samples.lists) claim(list.key, "sample", list.pos);
        if (spec_.has_seeds) claim("seed", "seeds", key_pos_["seeds"]);
        for (const auto& v : spec_.variants)
            for (const auto& a : v.overrides) claim(a.key, "variants", a.pos);
    }

    std::vector<PartialAssignment> parse_partials(const YAML::Node& node, const std::string& section) {
        if (!node.IsSequence())
            throw_sweep_error(pos(node), section, "expected a list of assignments, e.g. - {variant: dense-2x, model.preset: base}");
        const auto axes = spec_.axis_keys();
        std::vector<PartialAssignment> out;
        for (const auto& entry_node : node) {
            if (!entry_node.IsMap() || entry_node.size() == 0)
                throw_sweep_error(pos(entry_node), section, "each entry is a non-empty mapping of keys to values");
            PartialAssignment partial{{}, pos(entry_node)};
            std::set<std::string> seen;
            std::vector<Assignment> flat;
            flatten(entry_node, "", flat);
            for (auto& a : flat) {
                if (!seen.insert(a.key).second) throw_sweep_error(a.pos, a.key, fmt::format("given twice in one {} entry", section));
                if (!a.value.IsScalar() && !(section == "include" && a.key != "variant" && a.key != "seed"))
                    throw_sweep_error(a.pos, a.key, fmt::format("expected a single value (in {})", section));
                check_partial_key(a, section, axes);
                partial.entries.push_back(a);
            }
            if (section == "include") check_include_conflicts(partial);
            out.push_back(partial);
        }
        return out;
    }

    void check_partial_key(const Assignment& a, const std::string& section, const std::vector<std::string>& axes) {
        if (a.key == "variant") {
            if (spec_.variants.empty()) throw_sweep_error(a.pos, a.key, "this sweep has no variants");
            if (!spec_.find_variant(a.value.Scalar()))
                throw_sweep_error(a.pos, a.key, fmt::format("no variant named '{}'", a.value.Scalar()));
            return;
        }
        if (a.key == "seed") {
            try {
                if (a.value.as<long long>() >= 0) return;
            } catch (const YAML::Exception&) {
            }
            throw_sweep_error(a.pos, a.key, "seeds are non-negative integers");
        }
        if (section == "exclude") {
            if (std::find(axes.begin(), axes.end(), a.key) != axes.end()) return;
            throw_sweep_error(a.pos, a.key,
                              fmt::format("not an axis of this sweep; exclude matches on variant, seed or {}",
                                          axes.empty() ? std::string("(no grid/zip keys)") : fmt::format("{}", fmt::join(axes, ", "))));
        }
        check_key(a.key, a.pos, section);
    }

    void check_include_conflicts(const PartialAssignment& partial) {
        const Variant* variant = nullptr;
        for (const auto& a : partial.entries)
            if (a.key == "variant") variant = spec_.find_variant(a.value.Scalar());
        for (const auto& a : partial.entries) {
            for (const auto& s : spec_.set)
                if (s.key == a.key)
                    throw_sweep_error(a.pos, a.key, fmt::format("set by both set ({}) and this include entry", s.pos.str()));
            if (!variant) continue;
            for (const auto& o : variant->overrides)
                if (o.key == a.key)
                    throw_sweep_error(a.pos, a.key, fmt::format("set by both variant '{}' ({}) and this include entry",
                                                                variant->name, o.pos.str()));
        }
    }

    std::string file_;
    std::string base_dir_;
    SweepSpec spec_;
    std::map<std::string, SourcePos> key_pos_;
};

}  // namespace

std::vector<std::string> SweepSpec::axis_keys() const {
    std::vector<std::string> keys;
    for (const auto& axis : grid) keys.push_back(axis.key);
    for (const auto& group : zips)
        for (const auto& list : group.lists) keys.push_back(list.key);
    for (const auto& list : samples.lists) keys.push_back(list.key);
    return keys;
}

const Variant* SweepSpec::find_variant(const std::string& variant_name) const {
    for (const auto& v : variants)
        if (v.name == variant_name) return &v;
    return nullptr;
}

std::string value_text(const YAML::Node& value) {
    if (value.IsScalar()) return value.Scalar();
    return override_text(value);
}

std::string override_text(const YAML::Node& value) {
    YAML::Emitter out;
    out << YAML::Flow << value;  // quotes a scalar such as "a: b" that would not read back as itself
    return out.c_str();
}

SweepSpec parse_sweep(const YAML::Node& root, const std::string& file, const std::string& base_dir) {
    return SpecParser(file, base_dir).parse(root);
}

SweepSpec load_sweep(const std::string& path) {
    if (!std::filesystem::exists(path)) throw SweepError(fmt::format("{}: cannot read the sweep file (no such file)", path));
    if (!std::filesystem::is_regular_file(path)) throw SweepError(fmt::format("{}: cannot read the sweep file (not a regular file)", path));
    std::vector<YAML::Node> documents;
    try {
        documents = read_yaml_file(path, "sweep file");
    } catch (const YamlReadError& e) {
        throw_yaml_problem(e);
    }
    if (documents.size() > 1)
        throw_sweep_error(SourcePos::of(path, documents[1]), "",
                          fmt::format("expected one YAML document, found {} (the second starts here)", documents.size()));
    const YAML::Node root = documents.empty() ? YAML::Node() : documents[0];
    const std::string dir = std::filesystem::path(path).parent_path().string();
    return parse_sweep(root, path, dir.empty() ? "." : dir);
}

}  // namespace altup
