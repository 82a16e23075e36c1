#include "sweeps/command_line_sets.hpp"

#include <optional>

#include <fmt/format.h>

#include "experiments/config/config_io.hpp"

namespace altup {
namespace {

// Where the sweep varies `key`, as "grid (sweep.yaml:4:3)", or nothing.
std::optional<std::string> varied_at(const SweepSpec& spec, const std::string& key) {
    for (const auto& axis : spec.grid)
        if (axis.key == key) return fmt::format("its grid ({})", axis.pos.str());
    for (const auto& group : spec.zips)
        for (const auto& list : group.lists)
            if (list.key == key) return fmt::format("its zip ({})", list.pos.str());
    for (const auto& list : spec.samples.lists)
        if (list.key == key) return fmt::format("its sample block ({})", list.pos.str());
    for (const auto& variant : spec.variants)
        for (const auto& a : variant.overrides)
            if (a.key == key) return fmt::format("variant '{}' ({})", variant.name, a.pos.str());
    for (const auto& entry : spec.include)
        for (const auto& a : entry.entries)
            if (a.key == key) return fmt::format("an include entry ({})", a.pos.str());
    if (key == "seed" && spec.has_seeds) return fmt::format("its seeds ({})", spec.seeds_pos.str());
    return std::nullopt;
}

}  // namespace

void apply_command_line_sets(SweepSpec& spec, const std::vector<std::string>& assignments) {
    for (const auto& text : assignments) {
        const std::string origin = "--set " + text;
        auto [key, value] = parse_assignment(text, origin);
        if (const auto where = varied_at(spec, key))
            throw_sweep_error(SourcePos{origin, 0, 0}, key,
                              fmt::format("the sweep varies this key in {}; one value for every trial would make "
                                          "its trials the same. To run some of them use --only LABEL=VALUE (variant, "
                                          "seed or an axis); to change their values, edit {}",
                                          *where, spec.file));
        Assignment assignment{key, value, SourcePos{origin, 0, 0}};
        bool replaced = false;
        for (auto& existing : spec.set)
            if (existing.key == key) existing = assignment, replaced = true;
        if (!replaced) spec.set.push_back(assignment);
    }
}

}  // namespace altup
