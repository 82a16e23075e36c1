#include "analysis/grouping.hpp"

#include <algorithm>
#include <tuple>

#include "analysis/label_order.hpp"

namespace altup {

std::string Group::label(const std::string& key) const {
    auto it = labels.find(key);
    return it == labels.end() ? std::string() : it->second;
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

std::vector<Group> group_trials(const std::vector<TrialResult>& trials, const std::string& variant_key,
                                const std::string& baseline) {
    std::map<std::pair<std::string, std::map<std::string, std::string>>, Group> by_key;
    for (const TrialResult& trial : trials) {
        std::map<std::string, std::string> labels = trial.labels;
        labels.erase("seed");
        const bool standalone = trial.labels.empty();
        if (standalone) labels["name"] = trial.name;
        // A fine-tune trial is grouped by its task even when the sweep did not label it.
        const bool finetune = trial.stage == "finetune" || trial.has_downstream;
        if (finetune && !labels.count(kTaskLabel))
            labels[kTaskLabel] = trial.downstream_task.empty() ? "unknown" : trial.downstream_task;
        Group& group = by_key[{trial.sweep, labels}];
        group.sweep = trial.sweep;
        group.labels = labels;
        group.standalone = standalone;
        group.trials.push_back(trial);
    }
    std::vector<Group> groups;
    for (auto& [key, group] : by_key) {
        for (const MetricInfo& info : all_metrics()) {
            std::vector<double> values;
            for (const TrialResult& t : group.trials)
                if (const auto& v = t.values[metric_index(info.metric)]) values.push_back(*v);
            group.stats[metric_index(info.metric)] = summarize(values);
        }
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
