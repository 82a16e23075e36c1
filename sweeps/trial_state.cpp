#include "sweeps/trial_state.hpp"

#include <algorithm>
#include <cstring>
#include <fstream>

#include <nlohmann/json.hpp>

#include "util/atomic_file.hpp"
#include "util/json_path.hpp"
#include "util/result_file.hpp"
#include "util/trial_lock.hpp"

namespace altup {
namespace {

nlohmann::json read_json(const std::string& path) {
    const std::string text = read_file_or_empty(path);
    if (text.empty()) return nullptr;
    return nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);  // discarded on error
}

}  // namespace

const char* to_string(TrialStatus s) {
    switch (s) {
        case TrialStatus::pending: return "pending";
        case TrialStatus::running: return "running";
        case TrialStatus::interrupted: return "interrupted";
        case TrialStatus::completed: return "completed";
        case TrialStatus::diverged: return "diverged";
        case TrialStatus::failed: return "failed";
        case TrialStatus::foreign: return "foreign";
        case TrialStatus::invalid: return "invalid";
    }
    return "?";
}

bool is_finished(TrialStatus s) {
    return s == TrialStatus::completed || s == TrialStatus::diverged || s == TrialStatus::failed;
}

bool is_unsuccessful(TrialStatus s) { return s == TrialStatus::diverged || s == TrialStatus::failed; }

bool is_left_alone(TrialStatus s) { return s == TrialStatus::foreign || s == TrialStatus::invalid; }

namespace {

// "" when `result` is the owner's trial; else whose it is, in words.
std::string foreign_owner(const nlohmann::json& result, const TrialOwner& owner) {
    const nlohmann::json sweep = result.value("sweep", nlohmann::json());
    const std::string sweep_name = sweep.is_string() ? sweep.get<std::string>() : "";
    if (sweep_name != owner.sweep)
        return sweep_name.empty() ? "a standalone `altup train` run (no sweep)" : "a trial of sweep '" + sweep_name + "'";
    // Labels are compared when the file has them (a completed result always
    // does; a failed record the trainer wrote before it knew them may not).
    if (auto it = result.find("labels"); it != result.end() && it->is_object()) {
        std::map<std::string, std::string> labels;
        for (const auto& [k, v] : it->items()) labels[k] = v.is_string() ? v.get<std::string>() : v.dump();
        if (labels != owner.labels) return "a trial of this sweep with other labels";
    }
    return "";
}

}  // namespace

int attempts_in_log(const std::string& trial_dir) {
    std::ifstream in(trial_dir + "/train.log", std::ios::binary);
    const size_t prefix_length = std::strlen(kAttemptLinePrefix);
    int count = 0;
    for (std::string line; std::getline(in, line);) count += line.compare(0, prefix_length, kAttemptLinePrefix) == 0;
    return count;
}

TrialRecord read_trial_record(const std::string& trial_dir, const TrialOwner* owner) {
    TrialRecord record;
    const nlohmann::json runner = read_json(trial_dir + "/runner.json");
    if (runner.is_object()) {
        if (runner.contains("exit_code") && runner["exit_code"].is_number_integer()) record.exit_code = runner["exit_code"].get<int>();
        const auto& attempts = runner.value("attempts", nlohmann::json());
        if (attempts.is_number_integer()) record.attempts = attempts.get<int>();
        if (runner.value("status", "") == "interrupted") record.status = TrialStatus::interrupted;
    }

    record.attempts = std::max(record.attempts, attempts_in_log(trial_dir));

    const ResultFile file = read_result_file(trial_dir + "/result.json");
    if (file.invalid()) {
        // Maybe torn by hand or a result somebody wants back: reported, never run over.
        record.status = TrialStatus::invalid;
        record.message = file.reason() + ": left untouched; move it away (or delete it) to re-run the trial";
        return record;
    }
    const nlohmann::json& result = file.root;
    if (file.valid() && owner) {
        const std::string whose = foreign_owner(result, *owner);
        if (!whose.empty()) {
            record.status = TrialStatus::foreign;
            record.message = trial_dir + "/result.json is " + whose +
                             ", not this sweep's trial: left untouched; move the folder away to run the trial";
            return record;
        }
    }
    if (file.valid()) {
        if (file.status == "completed") record.status = TrialStatus::completed;
        else if (file.status == "diverged") record.status = TrialStatus::diverged;
        else if (file.status == "failed") record.status = TrialStatus::failed;
        else if (file.status == "running")
            record.status = TrialLock::held_elsewhere(trial_dir) ? TrialStatus::running : TrialStatus::interrupted;
        if (result.contains("message") && result["message"].is_string()) record.message = result["message"];
        record.eval_loss = number_at_path(result, "quality.eval_loss");
        record.token_accuracy = number_at_path(result, "quality.token_accuracy");
        record.train_tokens_per_s = number_at_path(result, "speed.train_tokens_per_s");
        record.downstream_accuracy = number_at_path(result, "downstream.accuracy");
        record.downstream_tokens_per_s = number_at_path(result, "downstream.tokens_per_s");
        record.wall_time_s = number_at_path(result, "train.wall_time_s");
        if (const auto* steps = find_json_path(result, "train.steps_done"); steps && steps->is_number_integer())
            record.steps_done = steps->get<long long>();
    } else if (TrialLock::held_elsewhere(trial_dir)) {
        record.status = TrialStatus::running;  // started, result.json not written yet
    }
    return record;
}

}  // namespace altup
