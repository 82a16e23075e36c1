#include "sweeps/sweep_report.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

namespace altup {
namespace {

// Columns padded to their widest cell, Markdown pipe syntax so it pastes into notes.
void print_table(std::FILE* out, const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows) {
    std::vector<size_t> width(header.size());
    for (size_t c = 0; c < header.size(); ++c) width[c] = header[c].size();
    for (const auto& row : rows)
        for (size_t c = 0; c < row.size(); ++c) width[c] = std::max(width[c], row[c].size());
    auto print_row = [&](const std::vector<std::string>& row) {
        std::string line = "|";
        for (size_t c = 0; c < row.size(); ++c) line += fmt::format(" {:<{}} |", row[c], width[c]);
        fmt::print(out, "{}\n", line);
    };
    print_row(header);
    std::string rule = "|";
    for (size_t w : width) rule += std::string(w + 2, '-') + "|";
    fmt::print(out, "{}\n", rule);
    for (const auto& row : rows) print_row(row);
}

std::string number_or_dash(const std::optional<double>& value, const char* format) {
    return value ? fmt::format(fmt::runtime(format), *value) : "-";
}

}  // namespace

std::string format_duration(double seconds) {
    const long long s = std::llround(std::max(0.0, seconds));
    if (s >= 3600) return fmt::format("{}h{:02}m", s / 3600, (s % 3600) / 60);
    if (s >= 60) return fmt::format("{}m{:02}s", s / 60, s % 60);
    return fmt::format("{}s", s);
}

void print_trial_table(std::FILE* out, const SweepExpansion& sweep) {
    bool two_stage = false;
    for (const auto& trial : sweep.trials) two_stage = two_stage || !trial.depends_on.empty();
    std::vector<std::vector<std::string>> rows;
    int dependent = 0;
    for (const auto& trial : sweep.trials) {
        std::vector<std::string> overrides;
        for (const auto& [key, value] : trial.overrides) overrides.push_back(key + "=" + value);
        rows.push_back({trial.id, labels_text(trial.labels), overrides.empty() ? "-" : fmt::format("{}", fmt::join(overrides, " "))});
        if (two_stage) rows.back().push_back(trial.depends_on.empty() ? "-" : trial.depends_on);
        dependent += !trial.depends_on.empty();
    }
    std::vector<std::string> header = {"id", "labels", "overrides"};
    if (two_stage) header.push_back("after");
    print_table(out, header, rows);
    fmt::print(out, "{} trial{} in sweep '{}'", sweep.trials.size(), sweep.trials.size() == 1 ? "" : "s", sweep.spec.name);
    if (dependent > 0)
        fmt::print(out, "; {} fine-tune trial{} run after the pretraining trial named in 'after'", dependent, dependent == 1 ? "" : "s");
    fmt::print(out, "\n");
}

std::string progress_line(const std::string& sweep_name, const ProgressCounts& counts, double eta_s) {
    // Nothing left to run (every trial settled): no ETA to give.
    const bool settled = counts.running == 0 && counts.pending == 0;
    return fmt::format("[{}] {}/{} done, {} running, {} failed, {} pending{}{}", sweep_name, counts.completed,
                       counts.total(), counts.running, counts.failed, counts.pending,
                       counts.waiting > 0 ? fmt::format(" ({} waiting for pretraining)", counts.waiting) : std::string(),
                       settled ? std::string() : ", ETA " + (eta_s < 0 ? std::string("unknown") : format_duration(eta_s)));
}

ProgressCounts count_statuses(const std::vector<TrialRecord>& records) {
    ProgressCounts counts;
    for (const auto& r : records) {
        if (r.status == TrialStatus::completed) ++counts.completed;
        else if (r.status == TrialStatus::running) ++counts.running;
        else if (is_unsuccessful(r.status) || is_left_alone(r.status)) ++counts.failed;
        else ++counts.pending;
    }
    return counts;
}

bool is_waiting(const SweepExpansion& sweep, const std::vector<TrialRecord>& records, size_t i) {
    const Trial& trial = sweep.trials[i];
    if (trial.depends_on.empty()) return false;
    if (records[i].status != TrialStatus::pending && records[i].status != TrialStatus::interrupted) return false;
    const size_t dep = trial_index(sweep, trial.depends_on);
    return dep < records.size() && records[dep].status != TrialStatus::completed;
}

ProgressCounts count_statuses(const SweepExpansion& sweep, const std::vector<TrialRecord>& records) {
    ProgressCounts counts = count_statuses(records);
    for (size_t i = 0; i < records.size() && i < sweep.trials.size(); ++i) counts.waiting += is_waiting(sweep, records, i);
    return counts;
}

void print_summary_table(std::FILE* out, const SweepExpansion& sweep, const std::vector<TrialRecord>& records) {
    // A fine-tune trial's result copies its pretraining trial's loss and accuracy:
    // its row shows its own downstream accuracy and fine-tuning speed instead.
    bool two_stage = false;
    for (const Trial& t : sweep.trials) two_stage = two_stage || t.config.finetuning();
    auto percent = [](const std::optional<double>& v) { return v ? std::optional<double>(*v * 100.0) : std::nullopt; };
    std::vector<std::vector<std::string>> rows;
    for (size_t i = 0; i < sweep.trials.size(); ++i) {
        const TrialRecord& r = records[i];
        const bool finetune = sweep.trials[i].config.finetuning();
        rows.push_back({sweep.trials[i].id, labels_text(sweep.trials[i].labels), is_waiting(sweep, records, i) ? "waiting" : to_string(r.status),
                        finetune ? "-" : number_or_dash(r.eval_loss, "{:.4f}"),
                        finetune ? "-" : number_or_dash(percent(r.token_accuracy), "{:.2f}"),
                        number_or_dash(finetune ? r.downstream_tokens_per_s : r.train_tokens_per_s, "{:.0f}")});
        if (two_stage) rows.back().push_back(finetune ? number_or_dash(percent(r.downstream_accuracy), "{:.2f}") : "-");
    }
    std::vector<std::string> header = {"id", "labels", "status", "eval loss", "accuracy (%)", "tokens/s"};
    if (two_stage) header.push_back("downstream accuracy (%)");
    print_table(out, header, rows);
}

}  // namespace altup
