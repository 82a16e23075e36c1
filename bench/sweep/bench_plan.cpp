#include "bench/sweep/bench_plan.hpp"

#include <algorithm>
#include <optional>
#include <set>
#include <stdexcept>

#include "util/speed_config.hpp"
#include "experiments/config/config_io.hpp"

namespace altup {
namespace {

// The labels that say which baseline a trial is compared with: all but the method and the seed.
std::map<std::string, std::string> context(std::map<std::string, std::string> labels, const std::string& variant_key) {
    labels.erase(variant_key);
    labels.erase("seed");
    return labels;
}

}  // namespace

std::vector<BenchConfig> plan_bench(const std::vector<BenchTrial>& trials, const BaselineChoice& choice) {
    std::vector<BenchConfig> plan;
    std::vector<std::size_t> config_of(trials.size());
    for (std::size_t t = 0; t < trials.size(); ++t) {
        const BenchTrial& trial = trials[t];
        const nlohmann::json resolved = to_json(trial.config);
        const std::string id = speed_config_id(resolved, trial.threads);
        auto it = std::find_if(plan.begin(), plan.end(),
                               [&](const BenchConfig& c) { return c.id == id && c.sweep_dir == trial.sweep_dir; });
        if (it == plan.end()) {
            BenchConfig c;
            c.id = id;
            c.speed_config = speed_config(resolved, trial.threads);
            c.sweep_dir = trial.sweep_dir;
            c.config = trial.config;
            c.threads = trial.threads;
            plan.push_back(std::move(c));
            it = plan.end() - 1;
        }
        it->trial_ids.push_back(trial.id);
        it->labels.push_back(trial.labels);
        config_of[t] = std::size_t(it - plan.begin());
    }
    if (!choice.id.empty()) {
        auto it = std::find_if(plan.begin(), plan.end(), [&](const BenchConfig& c) { return c.id == choice.id; });
        if (it == plan.end()) throw std::runtime_error("--baseline-id " + choice.id + ": no speed configuration has this id");
        for (BenchConfig& c : plan) c.baseline = std::size_t(it - plan.begin());
        return plan;
    }
    for (std::size_t c = 0; c < plan.size(); ++c) {
        std::optional<std::size_t> baseline;
        for (std::size_t t = 0; t < trials.size() && !baseline; ++t) {
            if (config_of[t] != c) continue;
            const auto want = context(trials[t].labels, choice.variant_key);
            for (std::size_t u = 0; u < trials.size() && !baseline; ++u) {
                auto v = trials[u].labels.find(choice.variant_key);
                if (v != trials[u].labels.end() && v->second == choice.variant && trials[u].sweep_dir == trials[t].sweep_dir &&
                    context(trials[u].labels, choice.variant_key) == want)
                    baseline = config_of[u];
            }
        }
        if (!baseline) {  // no baseline of its kind: the first config of its folder
            baseline = std::size_t(std::find_if(plan.begin(), plan.end(),
                                                [&](const BenchConfig& x) { return x.sweep_dir == plan[c].sweep_dir; }) -
                                   plan.begin());
        }
        plan[c].baseline = *baseline;
    }
    return plan;
}

std::vector<BenchConfig> select_configs(const std::vector<BenchConfig>& plan, const std::vector<std::string>& only) {
    if (only.empty()) return plan;
    std::set<std::size_t> keep;
    for (const std::string& id : only) {
        bool found = false;
        for (std::size_t c = 0; c < plan.size(); ++c)
            if (plan[c].id == id) {
                keep.insert(c);
                keep.insert(plan[c].baseline);
                found = true;
            }
        if (!found) throw std::runtime_error("--only " + id + ": no speed configuration has this id (altup bench --dry-run lists them)");
    }
    std::vector<BenchConfig> out;
    std::map<std::size_t, std::size_t> renumber;
    for (std::size_t c : keep) {
        renumber[c] = out.size();
        out.push_back(plan[c]);
    }
    for (BenchConfig& c : out) c.baseline = renumber.at(c.baseline);
    return out;
}

}  // namespace altup
