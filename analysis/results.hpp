// Reading result files (docs/results.md) and aggregating trials over seeds.
#pragma once
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace altup {

struct CurvePoint {
    double step, time_s, loss;
};

struct TrialResult {
    std::string path, trial_id, name, status;
    std::map<std::string, std::string> labels;
    nlohmann::json config;
    std::optional<double> eval_loss, perplexity, accuracy;
    std::optional<double> train_tokens_per_s, ms_per_step, eval_tokens_per_s;
    std::optional<double> params_total, params_embedding, params_non_embedding, altup_scalars;
    std::vector<CurvePoint> curve;
};

struct SkippedResult {
    std::string path, reason;
};

struct LoadedResults {
    std::vector<TrialResult> trials;     // completed ones
    std::vector<SkippedResult> skipped;  // broken, running, failed, diverged: said why
};

// Every result.json under `dir` (recursively), in path order.
LoadedResults load_results(const std::string& dir);
// Parses one result file's JSON; throws std::runtime_error saying what is missing.
TrialResult parse_result(const nlohmann::json& j, const std::string& path);

struct Stat {
    double mean = 0, std = 0, ci95 = 0;  // sample std (n-1); ci95 = t(0.975, n-1) * std / sqrt(n)
    int n = 0;
    bool present() const { return n > 0; }
};
Stat summarize(const std::vector<double>& values);

// Trials grouped by their labels other than `seed` (unlabelled trials by name).
struct Group {
    std::map<std::string, std::string> labels;  // without seed
    std::string title;                           // "variant=altup-k2 model.preset=tiny"
    std::vector<const TrialResult*> trials;
    std::map<std::string, Stat> stats;           // metric name -> over seeds
};
// Metric names: eval_loss, perplexity, accuracy, train_tokens_per_s, ms_per_step,
// eval_tokens_per_s, params_total, params_embedding, params_non_embedding, altup_scalars.
std::vector<Group> group_trials(const std::vector<TrialResult>& trials);

}  // namespace altup
