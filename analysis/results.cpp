#include "analysis/results.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <stdexcept>

namespace altup {
namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {
std::optional<double> number_at(const json& j, std::initializer_list<const char*> path) {
    const json* cur = &j;
    for (const char* k : path) {
        if (!cur->is_object() || !cur->contains(k)) return std::nullopt;
        cur = &(*cur)[k];
    }
    if (!cur->is_number()) return std::nullopt;
    return cur->get<double>();
}

// Two-sided 95% Student t quantiles for 1..30 degrees of freedom.
double t95(int dof) {
    static const double t[] = {12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
                               2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
                               2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042};
    return dof <= 0 ? 0.0 : dof <= 30 ? t[dof - 1] : 1.96;
}
}  // namespace

TrialResult parse_result(const json& j, const std::string& path) {
    if (!j.is_object()) throw std::runtime_error("not a JSON object");
    for (const char* k : {"schema_version", "trial_id", "status"})
        if (!j.contains(k)) throw std::runtime_error(std::string("missing field \"") + k + "\"");
    if (j["schema_version"] != 1) throw std::runtime_error("unsupported schema_version " + j["schema_version"].dump());
    TrialResult r;
    r.path = path;
    r.trial_id = j["trial_id"].get<std::string>();
    r.name = j.value("name", "");
    r.status = j["status"].get<std::string>();
    if (j.contains("labels") && j["labels"].is_object())
        for (auto it = j["labels"].begin(); it != j["labels"].end(); ++it)
            r.labels[it.key()] = it->is_string() ? it->get<std::string>() : it->dump();
    r.config = j.value("config", json::object());
    r.eval_loss = number_at(j, {"quality", "eval_loss"});
    r.perplexity = number_at(j, {"quality", "perplexity"});
    r.accuracy = number_at(j, {"quality", "token_accuracy"});
    r.train_tokens_per_s = number_at(j, {"speed", "train_tokens_per_s"});
    r.ms_per_step = number_at(j, {"speed", "ms_per_step", "median"});
    r.eval_tokens_per_s = number_at(j, {"speed", "eval_tokens_per_s"});
    r.params_total = number_at(j, {"params", "total"});
    r.params_embedding = number_at(j, {"params", "embedding"});
    r.params_non_embedding = number_at(j, {"params", "non_embedding"});
    r.altup_scalars = number_at(j, {"params", "altup_scalars"});
    if (j.contains("quality") && j["quality"].contains("curve") && j["quality"]["curve"].is_array())
        for (const auto& p : j["quality"]["curve"])
            if (p.contains("step") && p.contains("loss") && p["loss"].is_number())
                r.curve.push_back({p["step"].get<double>(), p.value("time_s", 0.0), p["loss"].get<double>()});
    if (r.status == "completed" && (!r.eval_loss || !r.accuracy))
        throw std::runtime_error("completed, but quality.eval_loss or quality.token_accuracy is missing");
    return r;
}

LoadedResults load_results(const std::string& dir) {
    LoadedResults out;
    if (!fs::is_directory(dir)) throw std::runtime_error(dir + ": not a directory");
    std::vector<std::string> files;
    for (const auto& e : fs::recursive_directory_iterator(dir, fs::directory_options::skip_permission_denied))
        if (e.is_regular_file() && e.path().filename() == "result.json") files.push_back(e.path().string());
    std::sort(files.begin(), files.end());
    for (const auto& f : files) {
        try {
            std::ifstream in(f);
            const json j = json::parse(in);
            TrialResult r = parse_result(j, f);
            if (r.status != "completed") {
                std::string why = r.status;
                if (j.contains("message") && j["message"].is_string() && !j["message"].get<std::string>().empty())
                    why += ": " + j["message"].get<std::string>();
                out.skipped.push_back({f, why});
                continue;
            }
            out.trials.push_back(std::move(r));
        } catch (const std::exception& e) {
            out.skipped.push_back({f, std::string("unreadable: ") + e.what()});
        }
    }
    return out;
}

Stat summarize(const std::vector<double>& v) {
    Stat s;
    s.n = static_cast<int>(v.size());
    if (v.empty()) return s;
    double sum = 0;
    for (double x : v) sum += x;
    s.mean = sum / s.n;
    if (s.n > 1) {
        double ss = 0;
        for (double x : v) ss += (x - s.mean) * (x - s.mean);
        s.std = std::sqrt(ss / (s.n - 1));
        s.ci95 = t95(s.n - 1) * s.std / std::sqrt(double(s.n));
    }
    return s;
}

std::vector<Group> group_trials(const std::vector<TrialResult>& trials) {
    std::map<std::map<std::string, std::string>, Group> groups;
    std::vector<std::map<std::string, std::string>> order;
    for (const auto& t : trials) {
        std::map<std::string, std::string> key = t.labels;
        key.erase("seed");
        if (key.empty()) key["name"] = t.name;
        auto [it, fresh] = groups.try_emplace(key);
        if (fresh) {
            it->second.labels = key;
            order.push_back(key);
        }
        it->second.trials.push_back(&t);
    }
    std::vector<Group> out;
    for (const auto& key : order) {
        Group g = groups[key];
        auto v = key.find("variant");
        g.title = v != key.end() ? v->second : "";
        for (const auto& [k, val] : key)
            if (k != "variant") g.title += (g.title.empty() ? "" : " ") + k + "=" + val;
        using Field = std::optional<double> TrialResult::*;
        const std::pair<const char*, Field> metrics[] = {
            {"eval_loss", &TrialResult::eval_loss}, {"perplexity", &TrialResult::perplexity},
            {"accuracy", &TrialResult::accuracy}, {"train_tokens_per_s", &TrialResult::train_tokens_per_s},
            {"ms_per_step", &TrialResult::ms_per_step}, {"eval_tokens_per_s", &TrialResult::eval_tokens_per_s},
            {"params_total", &TrialResult::params_total}, {"params_embedding", &TrialResult::params_embedding},
            {"params_non_embedding", &TrialResult::params_non_embedding}, {"altup_scalars", &TrialResult::altup_scalars}};
        for (const auto& [name, field] : metrics) {
            std::vector<double> vals;
            for (const TrialResult* t : g.trials)
                if ((t->*field).has_value()) vals.push_back(*(t->*field));
            g.stats[name] = summarize(vals);
        }
        out.push_back(std::move(g));
    }
    return out;
}

}  // namespace altup
