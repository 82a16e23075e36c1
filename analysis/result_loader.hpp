// Finds and reads every result.json under a runs directory (docs/result-files.md).
// Files that cannot be used are listed with the reason instead of stopping the
// analysis: invalid ones (bad JSON, a missing field or a wrong type: the schema
// check of util/result_file.hpp, the sweep runner's too), and unfinished,
// failed or diverged trials.
#pragma once
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "analysis/metrics.hpp"

namespace altup {

// One evaluation of a trial's validation split.
struct CurvePoint {
    double step = 0;
    std::optional<double> time_s;
    std::optional<double> loss;
    std::optional<double> token_accuracy;
};

struct TrialResult {
    std::string path;  // of its result.json
    std::string trial_id;
    std::string name;
    std::string sweep;
    std::map<std::string, std::string> labels;  // including seed
    MetricValues values;
    std::vector<CurvePoint> curve;  // quality.curve, else metrics.jsonl's eval lines
    std::vector<CurvePoint> train_curve;  // metrics.jsonl's training lines (loss; no accuracy)
    std::string stage = "pretrain";  // "pretrain" | "finetune" (absent in old files: pretrain)
    bool has_downstream = false;     // the file has a downstream section (an object)
    std::string downstream_task;     // downstream.task ("pos", "genre", ...), "" when absent
    // The resolved config's keys that make the experiment (util/experiment_identity:
    // IdentityOf::group, so no seed), flattened to dotted key -> JSON text of the
    // value. Empty when the file has no config (then only labels group it).
    std::map<std::string, std::string> identity;
    // Its sweep folder's manifest (sweep.json) no longer lists this trial: the
    // sweep file was edited since it ran. Left out of analysis unless asked.
    bool stale = false;
    std::map<std::string, std::string> provenance;  // commit, steps, ... (analysis/provenance.hpp)
    // "completed", or "running" for a trial still training (LoadedResults::running_trials:
    // its curve so far from metrics.jsonl, no final numbers; never grouped).
    std::string status = "completed";
};

// The label naming a fine-tune trial's downstream task. Fine-tune trials
// without it get it from downstream.task when grouped, so that trials of
// different tasks, or pretraining and fine-tuning, never share a group.
inline constexpr const char* kTaskLabel = "finetune.task";

struct SkippedResult {
    std::string path;
    std::string reason;
    bool invalid = false;  // the file fails the schema check (else: a trial that did not complete)
};

struct LoadedResults {
    std::vector<TrialResult> trials;     // completed, in path order
    // Trials whose result.json says running, with their curves so far, in path
    // order; counted in `skipped` too. Only `--include-running` shows them (the
    // curves table, the loss-curve figure), never in a table of final numbers.
    std::vector<TrialResult> running_trials;
    std::vector<SkippedResult> skipped;  // in path order
    std::size_t running = 0;             // how many of the skipped are still running
    std::size_t invalid = 0;             // how many of the skipped fail the schema check
    std::size_t stale = 0;               // trials (counted in `trials`) marked stale
};

// Throws AnalysisError when runs_dir is not a readable directory.
LoadedResults load_results(const std::string& runs_dir);

// Reads one file; returns the reason it cannot be used instead of a trial.
struct ParsedResult {
    std::optional<TrialResult> trial;    // a completed trial
    std::optional<TrialResult> running_trial;  // a running one (its status, labels, curve so far)
    std::string skip_reason;
    bool running = false;
    bool invalid = false;
};
ParsedResult parse_result_file(const std::string& path);

}  // namespace altup
