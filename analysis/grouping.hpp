// Trials of one configuration, seeds apart, form one group; each metric is
// summarised over the group's seeds (docs/analysis.md, "Grouping").
#pragma once
#include <array>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "analysis/metrics.hpp"
#include "analysis/result_loader.hpp"
#include "analysis/statistics.hpp"

namespace altup {

struct Group {
    std::string sweep;
    // All labels but seed; a standalone run (no labels) is named by its config: {"name": ...}.
    std::map<std::string, std::string> labels;
    bool standalone = false;
    bool stale = false;  // its trials are no longer in their sweep's expansion (shown only on request)
    std::map<std::string, std::string> identity;  // the trials' shared config without seed (TrialResult::identity)
    std::vector<TrialResult> trials;
    std::array<Summary, kMetricCount> stats;

    const Summary& stat(Metric m) const { return stats[metric_index(m)]; }
    std::vector<double> seed_values(Metric m) const;  // the trials' values that are present, in trial order
    // A key of the shared config (identity) as a number; nullopt when absent or not a number.
    std::optional<double> config_number(const std::string& key) const;
    std::string label(const std::string& key) const;  // "" when absent
    bool has_downstream() const;                      // a trial has a downstream section
};

// The label marking a group of stale trials (shown with --include-stale).
inline constexpr const char* kStaleLabel = "stale";

// Trials that differ only in seed share a group: same sweep, labels and config
// (TrialResult::identity). Groups whose labels coincide but whose configs differ
// get the differing config keys as labels (or `config`: a short hash of it).
// A fine-tune trial without a `finetune.task` label is given one from
// downstream.task (kTaskLabel).
// Groups sorted by sweep, then `baseline` before other methods, then label values
// (presets in size order, numbers by value).
std::vector<Group> group_trials(const std::vector<TrialResult>& trials, const std::string& variant_key,
                                const std::string& baseline);

// The group's method: its `variant_key` label, or its config name when standalone.
std::string method_of(const Group& group, const std::string& variant_key);

// A group's labels other than its method, and its sweep: groups of "the same size".
std::map<std::string, std::string> context_of(const Group& group, const std::string& variant_key);

}  // namespace altup
