#include "experiments/finetune/pretrained.hpp"

#include <filesystem>
#include <fstream>
#include <regex>
#include <stdexcept>

#include <fmt/format.h>

#include "experiments/config/config_io.hpp"
#include "util/run_folders.hpp"
#include "experiments/trial/safetensors.hpp"

namespace altup {
namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {
[[noreturn]] void fail(const std::string& from, const std::string& what) {
    throw PretrainedSourceError(fmt::format("finetune.from = \"{}\": {}", from, what));
}
[[noreturn]] void fail(const Config& cfg, const std::string& what) { fail(cfg.finetune.from, what); }

std::string find_trial_folder(const std::string& from, const std::string& id, const std::string& runs_root) {
    std::vector<fs::path> found;
    std::error_code ec;
    // Sweep trials are <runs>/<sweep>/<id>; standalone runs <runs>/standalone/<name>/<id>.
    for (const fs::path& root : {fs::path(runs_root), fs::path(runs_root) / kStandaloneFolder})
        if (fs::is_directory(root, ec))
            for (const auto& group : fs::directory_iterator(root, ec))
                if (group.is_directory() && fs::is_directory(group.path() / id)) found.push_back(group.path() / id);
    if (found.empty())
        fail(from, fmt::format("no trial folder {} under {}/*/ or {}/{}/*/", id, runs_root, runs_root, kStandaloneFolder));
    if (found.size() > 1)
        fail(from, fmt::format("trial id {} is ambiguous: {} and {}; give the folder instead", id, found[0].string(), found[1].string()));
    return found[0].string();
}

struct Located {
    std::string run_dir;     // "" for a bare checkpoint outside a trial folder
    std::string checkpoint;  // "" unless `from` named the file itself
};

// Where finetune.from points: "pretrain" -> pretrained_dir; a file; a folder; a trial id under runs_root.
Located locate(const std::string& from, const std::string& pretrained_dir, const std::string& runs_root) {
    Located at;
    if (from == "pretrain") {
        if (pretrained_dir.empty())
            fail(from, "names the pretraining trial of a sweep; outside a sweep give a trial folder, a checkpoint file or a "
                       "trial id (or pass --pretrained DIR)");
        at.run_dir = pretrained_dir;
    } else if (fs::is_regular_file(from)) {
        at.checkpoint = from;
        const fs::path parent = fs::path(from).parent_path();
        if (fs::exists(parent / "config.yaml")) at.run_dir = parent.empty() ? "." : parent.string();
    } else if (fs::is_directory(from)) {
        at.run_dir = from;
    } else if (std::regex_match(from, std::regex("[0-9a-f]{12}"))) {
        at.run_dir = find_trial_folder(from, from, runs_root);
    } else {
        fail(from, "expected \"pretrain\", an existing trial folder, a checkpoint file or a 12-digit trial id");
    }
    return at;
}

// Copies the leaves of `from` that `into` does not have.
void add_missing(YAML::Node into, const YAML::Node& from) {
    for (const auto& entry : from) {
        const std::string key = entry.first.Scalar();
        if (!into[key]) {
            into[key] = YAML::Clone(entry.second);
        } else if (into[key].IsMap() && entry.second.IsMap()) {
            add_missing(into[key], entry.second);
        }
    }
}

// The keys of two JSON objects' leaves that differ, "model.d_model: 128 vs 256".
void diff_leaves(const json& a, const json& b, const std::string& prefix, std::vector<std::string>& out) {
    if (a.is_object() && b.is_object()) {
        for (auto it = a.begin(); it != a.end(); ++it)
            diff_leaves(it.value(), b.contains(it.key()) ? b.at(it.key()) : json(nullptr), prefix + "." + it.key(), out);
        return;
    }
    if (a != b) out.push_back(fmt::format("{}: {} here, {} in the pretraining trial", prefix.substr(1), a.dump(), b.dump()));
}
}  // namespace

PretrainedSource resolve_pretrained(const Config& cfg, const std::string& pretrained_dir, const std::string& runs_root) {
    PretrainedSource src;
    const Located at = locate(cfg.finetune.from, pretrained_dir, runs_root);
    src.run_dir = at.run_dir;
    src.checkpoint = at.checkpoint;
    if (!src.run_dir.empty()) {
        if (src.checkpoint.empty()) src.checkpoint = (fs::path(src.run_dir) / "ckpt.safetensors").string();
        const fs::path result = fs::path(src.run_dir) / "result.json";
        if (fs::exists(result)) {
            std::ifstream in(result);
            src.result = json::parse(in, nullptr, false);
            if (src.result.is_discarded()) fail(cfg, result.string() + " is not valid JSON");
            const std::string status = src.result.value("status", "");
            if (status != "completed")
                fail(cfg, fmt::format("the pretraining trial in {} is {}, not completed", src.run_dir, status.empty() ? "unknown" : status));
        }
        // Fine-tuning reads the pretraining trial's tokenizer and needs its shapes:
        // model and data settings must be the same.
        const fs::path config = fs::path(src.run_dir) / "config.yaml";
        if (fs::exists(config)) {
            const Config pre = load_config(config.string());
            json mine = to_json(cfg), theirs = to_json(pre);
            for (json* j : {&mine, &theirs}) (*j)["data"].erase("cache_dir");
            std::vector<std::string> diffs;
            diff_leaves(json{{"model", mine["model"]}, {"data", mine["data"]}},
                        json{{"model", theirs["model"]}, {"data", theirs["data"]}}, "", diffs);
            if (!diffs.empty()) {
                std::string list;
                for (const auto& d : diffs) list += "\n  " + d;
                fail(cfg, "the pretraining trial in " + src.run_dir + " has other model/data settings:" + list);
            }
        }
    }
    if (!fs::is_regular_file(src.checkpoint))
        fail(cfg, fmt::format("no checkpoint {} (has the pretraining trial finished?)", src.checkpoint));
    SafetensorsFile f = read_safetensors(src.checkpoint);
    src.trial_id = f.metadata.count("trial_id") ? f.metadata["trial_id"] : "";
    return src;
}

void inherit_pretrained_settings(YAML::Node& tree, const std::string& pretrained_dir, const std::string& runs_root) {
    if (!tree.IsMap() || !tree["finetune"].IsMap()) return;
    const YAML::Node task = tree["finetune"]["task"], from = tree["finetune"]["from"];
    if (!task.IsScalar() || task.Scalar() == "none" || !from.IsScalar()) return;
    if (from.Scalar() == "pretrain" && pretrained_dir.empty()) return;  // resolve_pretrained says what is wrong
    const Located at = locate(from.Scalar(), pretrained_dir, runs_root);
    const fs::path config = fs::path(at.run_dir) / "config.yaml";
    if (at.run_dir.empty() || !fs::exists(config)) return;
    YAML::Node pre;
    try {
        pre = YAML::LoadFile(config.string());
    } catch (const YAML::Exception& e) {
        fail(from.Scalar(), fmt::format("cannot read the pretraining trial's {}: {}", config.string(), e.what()));
    }
    for (const char* section : {"model", "data"}) {
        YAML::Node theirs = pre[section];
        if (!theirs.IsMap()) continue;
        theirs = YAML::Clone(theirs);
        if (std::string(section) == "data") theirs.remove("cache_dir");  // where this machine keeps its tokens
        if (!tree[section]) tree[section] = YAML::Node(YAML::NodeType::Map);
        if (tree[section].IsMap()) add_missing(tree[section], theirs);
    }
}

void load_pretrained_weights(LanguageModel& model, const std::string& checkpoint) {
    SafetensorsFile f = read_safetensors(checkpoint);
    for (const auto& p : model.params().params()) {
        auto it = f.tensors.find(p.name);
        if (it == f.tensors.end())
            throw std::runtime_error(checkpoint + ": has no parameter " + p.name + " (a checkpoint of another architecture?)");
        if (it->second.numel() != p.var->value.numel())
            throw std::runtime_error(fmt::format("{}: parameter {} has {} values, the model expects {}", checkpoint, p.name,
                                                 it->second.numel(), p.var->value.numel()));
        p.var->value.copy_from(it->second);
    }
}

}  // namespace altup
