#include "analysis/grouping.hpp"

#include <algorithm>
#include <cstdlib>
#include <set>
#include <tuple>

#include <fmt/format.h>

#include "analysis/label_order.hpp"
#include "util/hash.hpp"

namespace altup {

std::string Group::label(const std::string& key) const {
    auto it = labels.find(key);
    return it == labels.end() ? std::string() : it->second;
}

std::vector<double> Group::seed_values(Metric m) const {
    std::vector<double> values;
    for (const TrialResult& t : trials)
        if (const auto& v = t.values[metric_index(m)]) values.push_back(*v);
    return values;
}

std::optional<double> Group::config_number(const std::string& key) const {
    auto it = identity.find(key);
    if (it == identity.end() || it->second.empty()) return std::nullopt;
    char* end = nullptr;
    const double v = std::strtod(it->second.c_str(), &end);
    return *end == '\0' ? std::optional<double>(v) : std::nullopt;
}

bool Group::has_downstream() const {
    return std::any_of(trials.begin(), trials.end(), [](const TrialResult& t) { return t.has_downstream; });
}

std::string method_of(const Group& group, const std::string& variant_key) {
    if (group.standalone) return group.label("name");
    return group.label(variant_key);
}

std::map<std::string, std::string> context_of(const Group& group, const std::string& variant_key) {
    std::map<std::string, std::string> context = group.labels;
    context.erase(group.standalone ? "name" : variant_key);
    context["\x01sweep"] = group.sweep;  // a key no label can have
    return context;
}

namespace {

using Labels = std::map<std::string, std::string>;

// Groups that share a sweep and labels but not a config (a sweep file edited
// between runs, or standalone runs of one name) are told apart by the config
// keys whose values differ between them, added to their labels; by a short
// hash of the config when more than kMaxDistinguishingKeys differ.
constexpr std::size_t kMaxDistinguishingKeys = 4;

void name_config_differences(std::vector<Group*>& clash) {
    std::set<std::string> keys;
    for (const Group* g : clash)
        for (const auto& [k, v] : g->identity) keys.insert(k);
    std::vector<std::string> differing;
    for (const std::string& k : keys) {
        std::set<std::string> values;
        for (const Group* g : clash) {
            auto it = g->identity.find(k);
            values.insert(it == g->identity.end() ? std::string("\x01") + "absent" : it->second);
        }
        if (values.size() > 1) differing.push_back(k);
    }
    for (Group* g : clash) {
        if (differing.size() > kMaxDistinguishingKeys || differing.empty()) {
            std::string canonical;
            for (const auto& [k, v] : g->identity) canonical += k + "=" + v + "\n";
            g->labels["config"] = fmt::format("{:016x}", fnv1a64(canonical)).substr(0, 8);
            continue;
        }
        for (const std::string& k : differing) {
            auto it = g->identity.find(k);
            g->labels[k] = it == g->identity.end() ? "(unset)" : it->second;
        }
    }
}

}  // namespace

std::vector<Group> group_trials(const std::vector<TrialResult>& trials, const std::string& variant_key,
                                const std::string& baseline) {
    // A group is a configuration: sweep, labels and the experiment's config
    // without its seed. Labels only name it.
    std::map<std::tuple<std::string, Labels, Labels>, Group> by_key;
    for (const TrialResult& trial : trials) {
        Labels labels = trial.labels;
        labels.erase("seed");
        const bool standalone = trial.labels.empty();
        if (standalone) labels["name"] = trial.name;
        // A fine-tune trial is grouped by its task even when the sweep did not label it.
        const bool finetune = trial.stage == "finetune" || trial.has_downstream;
        if (finetune && !labels.count(kTaskLabel))
            labels[kTaskLabel] = trial.downstream_task.empty() ? "unknown" : trial.downstream_task;
        if (trial.stale) labels[kStaleLabel] = "yes";
        Group& group = by_key[{trial.sweep, labels, trial.identity}];
        group.sweep = trial.sweep;
        group.labels = labels;
        group.identity = trial.identity;
        group.standalone = standalone;
        group.stale = trial.stale;
        group.trials.push_back(trial);
    }
    std::map<std::pair<std::string, Labels>, std::vector<Group*>> by_labels;
    for (auto& [key, group] : by_key) by_labels[{group.sweep, group.labels}].push_back(&group);
    for (auto& [key, clash] : by_labels)
        if (clash.size() > 1) name_config_differences(clash);
    std::vector<Group> groups;
    for (auto& [key, group] : by_key) {
        for (const MetricInfo& info : all_metrics())
            group.stats[metric_index(info.metric)] = summarize(group.seed_values(info.metric));
        groups.push_back(std::move(group));
    }
    std::vector<std::map<std::string, std::string>> label_sets;
    for (const Group& g : groups) label_sets.push_back(g.labels);
    const std::vector<std::string> columns = label_columns(label_sets, variant_key);
    std::stable_sort(groups.begin(), groups.end(), [&](const Group& a, const Group& b) {
        if (a.sweep != b.sweep) return a.sweep < b.sweep;
        const std::string ma = method_of(a, variant_key), mb = method_of(b, variant_key);
        if ((ma == baseline) != (mb == baseline)) return ma == baseline;
        for (const std::string& key : columns) {
            const int c = compare_label_values(a.label(key), b.label(key));
            if (c != 0) return c < 0;
        }
        return false;
    });
    return groups;
}

}  // namespace altup
