// The reference family of the iso-quality comparisons: the models a method's
// quality and speed are read against. By default every dense model (no AltUp
// widening, no MoE, no Sequence-AltUp; any width, depth or preset), so that a
// wider dense model competes with AltUp at equal cost; `--family KEY=VALUE...`
// names the members instead (docs/analysis.md, "The reference family").
#pragma once
#include <string>
#include <utility>
#include <vector>

#include "analysis/grouping.hpp"

namespace altup {

struct FamilySpec {
    // Empty: the dense models. Else a member matches every pair, by label or by
    // resolved config key (model.altup.k=1, variant=baseline, ...).
    std::vector<std::pair<std::string, std::string>> match;
};

// A group is dense when its config says so (model.altup.k <= 1,
// model.moe.experts == 0, model.sequence_altup.stride <= 1); a group whose
// results lack model.altup.k (hand-written files) is dense when it is the baseline method.
bool is_dense(const Group& g, const std::string& variant_key, const std::string& baseline);

bool in_family(const Group& g, const FamilySpec& family, const std::string& variant_key, const std::string& baseline);

// The family members `g` is read against: members of the same sweep, equal to
// g in every label that does not describe the model (labels other than the
// variant, `size_key`, model.* keys and `companions`). Never g itself.
std::vector<std::size_t> family_of(const std::vector<Group>& groups, std::size_t g, const FamilySpec& family,
                                   const std::string& variant_key, const std::string& baseline,
                                   const std::string& size_key, const std::vector<std::string>& companions);

// "dense models" or "variant=baseline model.layers=4", for titles.
std::string family_description(const FamilySpec& family);

}  // namespace altup
