#include "analysis/result_loader.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "analysis/analysis_error.hpp"
#include "analysis/metrics_log.hpp"
#include "util/experiment_identity.hpp"
#include "util/json_path.hpp"
#include "util/result_file.hpp"
#include "util/sweep_manifest_format.hpp"
#include "analysis/provenance.hpp"

namespace altup {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// Label values are strings by contract; numbers written by hand are accepted as their text.
std::string label_text(const json& j) { return j.is_string() ? j.get<std::string>() : j.dump(); }

std::optional<double> member_number(const json& object, const char* key) {
    auto it = object.find(key);
    if (it == object.end() || !it->is_number()) return std::nullopt;
    return it->get<double>();
}

// quality.curve of a checked file: each point an object with a numeric step.
std::vector<CurvePoint> parse_curve(const json& curve) {
    std::vector<CurvePoint> points;
    if (!curve.is_array()) return points;
    for (const json& p : curve)
        points.push_back({p["step"].get<double>(), member_number(p, "time_s"), member_number(p, "loss"), member_number(p, "token_accuracy")});
    return points;
}

// Scalars by dotted path; arrays and nulls as their JSON text.
void flatten(const json& j, const std::string& prefix, std::map<std::string, std::string>& out) {
    if (j.is_object() && !j.empty()) {
        for (const auto& [key, value] : j.items()) flatten(value, prefix.empty() ? key : prefix + "." + key, out);
        return;
    }
    out[prefix] = j.is_string() ? j.get<std::string>() : j.dump();
}

// The trial ids a sweep folder's manifest lists; nullopt when it has none (or
// not one of `sweep`: a folder renamed by hand), so nothing there is stale.
std::optional<std::set<std::string>> manifest_ids(const fs::path& sweep_dir, const std::string& sweep) {
    const fs::path path = sweep_dir / kSweepManifestName;
    std::error_code ec;
    if (!fs::is_regular_file(path, ec)) return std::nullopt;
    std::ifstream in(path);
    const json j = json::parse(in, nullptr, /*allow_exceptions=*/false);
    if (!j.is_object() || j.value("format", "") != kSweepManifestFormat || j.value("sweep", "") != sweep ||
        !j.contains("trials") || !j["trials"].is_array())
        return std::nullopt;
    std::set<std::string> ids;
    for (const json& id : j["trials"])
        if (id.is_string()) ids.insert(id.get<std::string>());
    return ids;
}

std::string status_reason(const json& root, const std::string& status) {
    const json* message = root.contains("message") && root["message"].is_string() ? &root["message"] : nullptr;
    const std::string text = message && !message->get<std::string>().empty() ? ": " + message->get<std::string>() : "";
    if (status == "running") return "unfinished (status running)" + text;
    if (status == "failed") return "failed" + (text.empty() ? std::string(" (no message)") : text);
    if (status == "diverged") {
        const json* step = root.contains("diverged_at_step") ? &root["diverged_at_step"] : nullptr;
        const std::string at = step && step->is_number() ? fmt::format(" at step {}", step->get<double>()) : "";
        return "diverged" + at + text;
    }
    return "unknown status '" + status + "'";  // the schema check lets none through
}

// What a checked result file says of its trial; a running trial's final
// numbers are null, so only its labels, config and curve so far are read.
TrialResult trial_of(const json& root, const std::string& path, const std::string& status) {
    TrialResult trial;
    trial.path = path;
    trial.status = status;
    trial.trial_id = root["trial_id"].get<std::string>();
    // A running file may lack what a completed one must have (the schema check's rule).
    trial.name = root.contains("name") && root["name"].is_string() ? root["name"].get<std::string>() : "";
    trial.sweep = root.contains("sweep") && root["sweep"].is_string() ? root["sweep"].get<std::string>() : "";
    if (root.contains("labels") && root["labels"].is_object())
        for (const auto& [key, value] : root["labels"].items()) trial.labels[key] = label_text(value);
    if (const json* stage = find_json_path(root, "stage"); stage && stage->is_string()) trial.stage = stage->get<std::string>();
    // downstream: absent or null for pretraining trials (docs/result-files.md).
    if (const json* downstream = find_json_path(root, "downstream"); downstream && downstream->is_object()) {
        trial.has_downstream = true;
        if (const json* task = find_json_path(*downstream, "task"); task && task->is_string()) trial.downstream_task = task->get<std::string>();
    }
    // Null numbers, and sections a fine-tune result copied as null, are absent, never 0.
    for (const MetricInfo& info : all_metrics()) trial.values[metric_index(info.metric)] = number_at_path(root, info.json_path);
    if (root.contains("config") && root["config"].is_object())
        flatten(experiment_identity(root["config"], IdentityOf::group), "", trial.identity);
    if (const json* curve = find_json_path(root, "quality.curve")) trial.curve = parse_curve(*curve);
    const bool embedded_curve = !trial.curve.empty();
    // metrics.jsonl: the eval curve when the result embeds none, and the training loss.
    for (const LoggedLine& l : read_metrics_log((fs::path(path).parent_path() / "metrics.jsonl").string())) {
        if (is_training_line(l) && l.loss) trial.train_curve.push_back({l.step, l.time_s, l.loss, std::nullopt});
        if (l.kind == "eval" && !embedded_curve) trial.curve.push_back({l.step, l.time_s, l.loss, l.accuracy});
    }
    trial.provenance = read_provenance(root);
    return trial;
}

}  // namespace

ParsedResult parse_result_file(const std::string& path) {
    ParsedResult out;
    // The schema (what a completed result holds, each field's type) is checked
    // by util/result_file, as for the sweep runner: what passes is read here.
    const ResultFile file = read_result_file(path);
    if (!file.valid()) {
        out.invalid = true;
        out.skip_reason = file.absent() ? "cannot be read (no such file)" : file.problem;
        return out;
    }
    const json& root = file.root;
    if (file.status != "completed") {
        out.running = file.status == "running";
        out.skip_reason = status_reason(root, file.status);
        if (out.running) out.running_trial = trial_of(root, path, "running");
        return out;
    }
    out.trial = trial_of(root, path, "completed");
    return out;
}

LoadedResults load_results(const std::string& runs_dir) {
    std::error_code ec;
    if (!fs::is_directory(runs_dir, ec))
        throw AnalysisError(fmt::format("'{}' is not a directory (expected a runs directory holding result.json files)", runs_dir));
    std::vector<std::string> paths;
    fs::recursive_directory_iterator it(runs_dir, fs::directory_options::skip_permission_denied, ec), end;
    if (ec) throw AnalysisError(fmt::format("cannot list '{}': {}", runs_dir, ec.message()));
    for (; it != end; it.increment(ec)) {
        if (ec) throw AnalysisError(fmt::format("cannot list '{}': {}", runs_dir, ec.message()));
        if (it->path().filename() == "result.json" && it->is_regular_file(ec)) paths.push_back(it->path().string());
    }
    std::sort(paths.begin(), paths.end());
    LoadedResults loaded;
    std::map<std::pair<fs::path, std::string>, std::optional<std::set<std::string>>> manifests;
    for (const std::string& path : paths) {
        ParsedResult parsed = parse_result_file(path);
        if (parsed.trial && !parsed.trial->sweep.empty()) {
            // runs/<sweep>/<trial-id>/result.json: the manifest is beside the trial folders.
            const fs::path sweep_dir = fs::path(path).parent_path().parent_path();
            auto key = std::make_pair(sweep_dir, parsed.trial->sweep);
            auto it = manifests.find(key);
            if (it == manifests.end()) it = manifests.emplace(key, manifest_ids(sweep_dir, parsed.trial->sweep)).first;
            parsed.trial->stale = it->second && !it->second->count(parsed.trial->trial_id);
            loaded.stale += parsed.trial->stale;
        }
        if (parsed.trial) {
            loaded.trials.push_back(std::move(*parsed.trial));
        } else {
            loaded.skipped.push_back({path, parsed.skip_reason, parsed.invalid});
            if (parsed.running_trial) loaded.running_trials.push_back(std::move(*parsed.running_trial));
            if (parsed.running) ++loaded.running;
            if (parsed.invalid) ++loaded.invalid;
        }
    }
    return loaded;
}

}  // namespace altup
