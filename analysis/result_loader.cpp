#include "analysis/result_loader.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "analysis/analysis_error.hpp"
#include "util/experiment_identity.hpp"
#include "util/sweep_manifest_format.hpp"
#include "analysis/provenance.hpp"

namespace altup {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// A field that is there but unusable; the message names the dotted path.
struct FieldError {
    std::string message;
};

const char* type_name(const json& j) { return j.type_name(); }

// Walks a dotted path; throws FieldError when a key is absent (null is allowed and returned).
const json& require(const json& root, const std::string& dotted) {
    const json* node = &root;
    std::string walked;
    std::size_t start = 0;
    while (start <= dotted.size()) {
        const std::size_t dot = dotted.find('.', start);
        const std::string key = dotted.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
        walked += (walked.empty() ? "" : ".") + key;
        if (!node->is_object())
            throw FieldError{fmt::format("field '{}': expected an object, got {}", walked.substr(0, walked.rfind('.')),
                                         type_name(*node))};
        auto it = node->find(key);
        if (it == node->end()) throw FieldError{fmt::format("missing field '{}'", walked)};
        node = &*it;
        if (dot == std::string::npos) break;
        start = dot + 1;
    }
    return *node;
}

std::optional<double> optional_number(const json& j, const std::string& dotted) {
    if (j.is_null()) return std::nullopt;
    if (!j.is_number()) throw FieldError{fmt::format("field '{}': expected a number or null, got {}", dotted, type_name(j))};
    return j.get<double>();
}

std::string required_string(const json& root, const std::string& dotted) {
    const json& j = require(root, dotted);
    if (!j.is_string()) throw FieldError{fmt::format("field '{}': expected a string, got {}", dotted, type_name(j))};
    return j.get<std::string>();
}

// Label values are strings by contract; numbers written by hand are accepted as their text.
std::string label_text(const json& j) { return j.is_string() ? j.get<std::string>() : j.dump(); }

std::optional<double> member_number(const json& object, const char* key, const std::string& where) {
    auto it = object.find(key);
    if (it == object.end()) return std::nullopt;
    return optional_number(*it, where + "." + key);
}

// A number inside the optional downstream section: absent or null anywhere on
// the way is nullopt; a wrong type is an error naming the field.
std::optional<double> optional_at(const json& root, const std::string& dotted) {
    const json* node = &root;
    std::string walked;
    std::size_t start = 0;
    while (true) {
        const std::size_t dot = dotted.find('.', start);
        const std::string key = dotted.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
        if (node->is_null()) return std::nullopt;
        if (!node->is_object())
            throw FieldError{fmt::format("field '{}': expected an object or null, got {}", walked, type_name(*node))};
        walked += (walked.empty() ? "" : ".") + key;
        auto it = node->find(key);
        if (it == node->end()) return std::nullopt;
        node = &*it;
        if (dot == std::string::npos) break;
        start = dot + 1;
    }
    return optional_number(*node, dotted);
}

std::vector<CurvePoint> parse_curve(const json& curve, const std::string& where) {
    if (curve.is_null()) return {};
    if (!curve.is_array()) throw FieldError{fmt::format("field '{}': expected an array, got {}", where, type_name(curve))};
    std::vector<CurvePoint> points;
    for (std::size_t i = 0; i < curve.size(); ++i) {
        const json& p = curve[i];
        const std::string at = fmt::format("{}[{}]", where, i);
        if (!p.is_object()) throw FieldError{fmt::format("field '{}': expected an object", at)};
        auto step = member_number(p, "step", at);
        if (!step) throw FieldError{fmt::format("field '{}.step': missing", at)};
        points.push_back({*step, member_number(p, "time_s", at), member_number(p, "loss", at),
                          member_number(p, "token_accuracy", at)});
    }
    return points;
}

// The eval lines of metrics.jsonl, for results whose curve was not embedded.
// A torn last line (the trainer may be appending) is ignored.
std::vector<CurvePoint> read_metrics_curve(const fs::path& metrics) {
    std::ifstream in(metrics);
    std::vector<CurvePoint> points;
    std::string line;
    while (std::getline(in, line)) {
        const json j = json::parse(line, nullptr, /*allow_exceptions=*/false);
        if (!j.is_object() || j.value("kind", "") != "eval") continue;
        try {
            auto step = member_number(j, "step", "metrics.jsonl");
            if (step) points.push_back({*step, member_number(j, "time_s", "metrics.jsonl"),
                                        member_number(j, "loss", "metrics.jsonl"),
                                        member_number(j, "token_accuracy", "metrics.jsonl")});
        } catch (const FieldError&) {
        }
    }
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
    return fmt::format("unknown status '{}' (expected running, completed, diverged or failed)", status);
}

}  // namespace

ParsedResult parse_result_file(const std::string& path) {
    ParsedResult out;
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        out.skip_reason = "cannot be read";
        return out;
    }
    std::stringstream buffer;
    buffer << in.rdbuf();
    json root;
    try {
        root = json::parse(buffer.str());
    } catch (const json::parse_error& e) {
        // nlohmann's message is "[json.exception.parse_error.101] parse error at line 3, column 5: ..."
        std::string what = e.what();
        const auto bracket = what.find("] ");
        out.skip_reason = "bad JSON: " + (bracket == std::string::npos ? what : what.substr(bracket + 2));
        return out;
    }
    try {
        if (!root.is_object()) throw FieldError{fmt::format("expected a JSON object, got {}", type_name(root))};
        const json& version = require(root, "schema_version");
        if (!version.is_number_integer() || version.get<int>() != 1)
            throw FieldError{fmt::format("unsupported schema_version {} (this analysis reads version 1)", version.dump())};
        const std::string status = required_string(root, "status");
        if (status != "completed") {
            out.running = status == "running";
            out.skip_reason = status_reason(root, status);
            return out;
        }
        TrialResult trial;
        trial.path = path;
        trial.trial_id = root.contains("trial_id") && root["trial_id"].is_string() ? root["trial_id"].get<std::string>() : "";
        trial.name = required_string(root, "name");
        trial.sweep = root.contains("sweep") && root["sweep"].is_string() ? root["sweep"].get<std::string>() : "";
        const json& labels = require(root, "labels");
        if (!labels.is_null() && !labels.is_object())
            throw FieldError{fmt::format("field 'labels': expected an object, got {}", type_name(labels))};
        if (labels.is_object())
            for (const auto& [key, value] : labels.items()) trial.labels[key] = label_text(value);
        // params may be null as a whole (a trial that failed before building its model).
        const json& params = require(root, "params");
        if (auto it = root.find("stage"); it != root.end() && !it->is_null()) {
            if (!it->is_string() || (*it != "pretrain" && *it != "finetune"))
                throw FieldError{fmt::format("field 'stage': expected \"pretrain\" or \"finetune\", got {}", it->dump())};
            trial.stage = it->get<std::string>();
        }
        // downstream: absent or null for pretraining trials (docs/result-files.md).
        if (auto it = root.find("downstream"); it != root.end() && !it->is_null()) {
            if (!it->is_object())
                throw FieldError{fmt::format("field 'downstream': expected an object or null, got {}", type_name(*it))};
            trial.has_downstream = true;
            if (auto task = it->find("task"); task != it->end() && !task->is_null()) {
                if (!task->is_string())
                    throw FieldError{fmt::format("field 'downstream.task': expected a string or null, got {}", type_name(*task))};
                trial.downstream_task = task->get<std::string>();
            }
        }
        for (const MetricInfo& info : all_metrics()) {
            const std::string dotted = info.json_path;
            // speed.flops_per_step came after schema 1's first files: optional, like downstream numbers.
            if (info.downstream || info.metric == Metric::flops_per_step) {
                trial.values[metric_index(info.metric)] = optional_at(root, dotted);
                continue;
            }
            if (dotted.rfind("params.", 0) == 0 && params.is_null()) continue;
            trial.values[metric_index(info.metric)] = optional_number(require(root, dotted), dotted);
        }
        if (auto it = root.find("config"); it != root.end() && it->is_object())
            flatten(experiment_identity(*it, IdentityOf::group), "", trial.identity);
        const json& quality = require(root, "quality");
        if (quality.contains("curve")) trial.curve = parse_curve(quality["curve"], "quality.curve");
        const fs::path metrics = fs::path(path).parent_path() / "metrics.jsonl";
        if (trial.curve.empty() && fs::exists(metrics)) trial.curve = read_metrics_curve(metrics);
        trial.provenance = read_provenance(root);
        out.trial = std::move(trial);
    } catch (const FieldError& e) {
        out.skip_reason = e.message;
    } catch (const json::exception& e) {
        out.skip_reason = std::string("unexpected value: ") + e.what();
    }
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
            loaded.skipped.push_back({path, parsed.skip_reason});
            if (parsed.running) ++loaded.running;
        }
    }
    return loaded;
}

}  // namespace altup
