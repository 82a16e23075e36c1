#include "analysis/flat_tables.hpp"

#include <filesystem>
#include <map>
#include <optional>
#include <set>

#include <nlohmann/json.hpp>

#include "analysis/metrics_log.hpp"

namespace altup {
namespace {

using nlohmann::json;

// Numbers at full CSV precision: these tables are read by programs.
constexpr int kRaw = 12;

std::vector<const TrialResult*> trials_shown(const Analysis& a, const AnalyzeOptions& o) {
    std::vector<const TrialResult*> out;
    for (const TrialResult& t : a.loaded.trials)
        if (!t.stale || o.include_stale) out.push_back(&t);
    if (o.include_running)
        for (const TrialResult& t : a.loaded.running_trials) out.push_back(&t);
    return out;
}

// Label keys over the trials, `variant` first and `seed` last as elsewhere.
std::vector<std::string> label_keys_of(const std::vector<const TrialResult*>& trials) {
    std::set<std::string> keys;
    for (const TrialResult* t : trials)
        for (const auto& [key, value] : t->labels) keys.insert(key);
    std::vector<std::string> out;
    if (keys.count("variant")) out.push_back("variant");
    for (const std::string& k : keys)
        if (k != "variant" && k != "seed") out.push_back(k);
    if (keys.count("seed")) out.push_back("seed");
    return out;
}

// A config value as the loader flattened it (JSON text): strings unquoted, numbers as numbers.
Cell config_cell(const std::string& json_text) {
    const json j = json::parse(json_text, nullptr, /*allow_exceptions=*/false);
    if (j.is_number()) return Cell::of_number(j.get<double>(), kRaw);
    if (j.is_string()) return Cell::of_text(j.get<std::string>());
    return Cell::of_text(j.is_discarded() ? json_text : j.dump());
}

Cell text_or_empty(const std::map<std::string, std::string>& map, const std::string& key) {
    auto it = map.find(key);
    return it == map.end() ? Cell::empty_cell() : Cell::of_text(it->second);
}

void add_identity_columns(Table& table, const std::vector<std::string>& labels) {
    table.columns.push_back({"trial_id", "trial id", false});
    table.columns.push_back({"sweep", "sweep", false});
    table.columns.push_back({"status", "status", false});
    for (const std::string& key : labels) table.columns.push_back({key, key, false});
}

std::vector<Cell> identity_cells(const TrialResult& t, const std::vector<std::string>& labels) {
    std::vector<Cell> row{Cell::of_text(t.trial_id), Cell::of_text(t.sweep), Cell::of_text(t.status)};
    for (const std::string& key : labels) row.push_back(text_or_empty(t.labels, key));
    return row;
}

// One logged step of metrics.jsonl, training and evaluation lines merged.
struct LoggedStep {
    std::optional<double> time_s, train_loss, lr, tokens_per_s, eval_loss, eval_perplexity, eval_accuracy, eval_macro_f1;
};

// By step: a step's training line gives its clock, an evaluation's only when it has none.
std::map<double, LoggedStep> read_logged_steps(const std::string& result_path) {
    std::map<double, LoggedStep> steps;
    for (const LoggedLine& l : read_metrics_log((std::filesystem::path(result_path).parent_path() / "metrics.jsonl").string())) {
        LoggedStep& s = steps[l.step];
        if (is_training_line(l)) {
            s.time_s = l.time_s;
            s.train_loss = l.loss;
            s.lr = l.lr;
            s.tokens_per_s = l.tokens_per_s;
        } else if (l.kind == "eval" || l.kind == "finetune_eval") {
            if (!s.time_s) s.time_s = l.time_s;
            s.eval_loss = l.loss;
            s.eval_perplexity = l.perplexity;
            s.eval_accuracy = l.accuracy;
            s.eval_macro_f1 = l.macro_f1;
        }
    }
    return steps;
}

}  // namespace

Table trials_table(const Analysis& a, const AnalyzeOptions& o) {
    const std::vector<const TrialResult*> trials = trials_shown(a, o);
    const std::vector<std::string> labels = label_keys_of(trials);
    std::set<std::string> config_keys, provenance_keys;
    for (const TrialResult* t : trials) {
        for (const auto& [key, value] : t->identity) config_keys.insert(key);
        for (const auto& [key, value] : t->provenance) provenance_keys.insert(key);
    }
    Table table;
    table.id = "trials";
    table.title = "Trials";
    add_identity_columns(table, labels);
    table.columns.push_back({"name", "name", false});
    table.columns.push_back({"stage", "stage", false});
    table.columns.push_back({"stale", "stale", false});
    table.columns.push_back({"path", "path", false});
    for (const MetricInfo& info : all_metrics()) table.columns.push_back({info.key, info.key, true});
    for (const std::string& key : config_keys) table.columns.push_back({"config." + key, "config." + key, false});
    for (const std::string& key : provenance_keys) table.columns.push_back({"provenance." + key, "provenance." + key, false});
    for (const TrialResult* t : trials) {
        std::vector<Cell> row = identity_cells(*t, labels);
        row.push_back(Cell::of_text(t->name));
        row.push_back(Cell::of_text(t->stage));
        row.push_back(Cell::of_text(t->stale ? "true" : "false"));
        row.push_back(Cell::of_text(t->path));
        for (const MetricInfo& info : all_metrics()) row.push_back(Cell::of_number(t->values[metric_index(info.metric)], kRaw));
        for (const std::string& key : config_keys) {
            auto it = t->identity.find(key);
            row.push_back(it == t->identity.end() ? Cell::empty_cell() : config_cell(it->second));
        }
        for (const std::string& key : provenance_keys) row.push_back(text_or_empty(t->provenance, key));
        table.rows.push_back(std::move(row));
    }
    if (table.rows.empty()) table.why_empty = "no trial to list";
    return table;
}

Table curves_table(const Analysis& a, const AnalyzeOptions& o) {
    const std::vector<const TrialResult*> trials = trials_shown(a, o);
    const std::vector<std::string> labels = label_keys_of(trials);
    Table table;
    table.id = "curves";
    table.title = "Logged steps";
    add_identity_columns(table, labels);
    for (const char* key : {"step", "time_s", "train_loss", "lr", "train_tokens_per_s", "eval_loss", "eval_perplexity",
                            "eval_accuracy", "eval_macro_f1"})
        table.columns.push_back({key, key, true});
    for (const TrialResult* t : trials)
        for (const auto& [step, s] : read_logged_steps(t->path)) {
            std::vector<Cell> row = identity_cells(*t, labels);
            for (const std::optional<double>& v : {std::optional<double>(step), s.time_s, s.train_loss, s.lr, s.tokens_per_s,
                                                   s.eval_loss, s.eval_perplexity, s.eval_accuracy, s.eval_macro_f1})
                row.push_back(Cell::of_number(v, kRaw));
            table.rows.push_back(std::move(row));
        }
    if (table.rows.empty()) table.why_empty = "no trial has a metrics.jsonl with logged steps";
    return table;
}

}  // namespace altup
