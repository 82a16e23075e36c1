#include "experiments/trial/run_folder.hpp"

#include <sys/file.h>
#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "experiments/config/config_io.hpp"
#include "experiments/trial/safetensors.hpp"

namespace altup {
namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {
constexpr const char* kFix = "use another --run-dir or move it away";

// `inner` is `outer` or lies below it (both already canonical).
bool is_within(const fs::path& inner, const fs::path& outer) {
    auto o = outer.begin(), i = inner.begin();
    for (; o != outer.end(); ++o, ++i)
        if (i == inner.end() || *i != *o) return false;
    return true;
}

fs::path canonical_path(const std::string& p) {
    std::error_code ec;
    const fs::path c = fs::weakly_canonical(fs::absolute(p), ec);
    return ec ? fs::absolute(p).lexically_normal() : c;
}

// The trial a file of the folder belongs to; throws RunFolderRefused when the
// file exists but does not say (unreadable, or without an id).
std::string owner_of(const fs::path& file, const std::string& run_dir) {
    const std::string name = file.filename().string();
    auto unknown = [&](const std::string& why) -> RunFolderRefused {
        return RunFolderRefused(fmt::format("run folder {}: its {} {}, so it may be another trial's: {}", run_dir, name, why, kFix));
    };
    if (name == "result.json") {
        std::ifstream in(file);
        const json r = json::parse(in, nullptr, false);
        if (!r.is_object()) throw unknown("is not a JSON object");
        if (!r.contains("trial_id") || !r["trial_id"].is_string()) throw unknown("names no trial_id");
        return r["trial_id"].get<std::string>();
    }
    if (name == "config.yaml") {
        try {
            return config_id(load_config(file.string()));
        } catch (const std::exception& e) {
            throw unknown(fmt::format("does not load as a config ({})", e.what()));
        }
    }
    std::map<std::string, std::string> meta;
    try {
        meta = read_safetensors_metadata(file.string());
    } catch (const std::exception& e) {
        throw unknown(fmt::format("has no readable header ({})", e.what()));
    }
    if (!meta.count("trial_id")) throw unknown("names no trial_id in its metadata");
    return meta["trial_id"];
}
// Whether one of this process's descriptors is an open file of `lock_path`
// that holds its flock (flock on a descriptor sharing the holder's open file
// succeeds; on any other it fails while the lock is held).
bool holds_inherited_lock(const std::string& lock_path) {
    struct stat want {};
    if (::stat(lock_path.c_str(), &want) != 0) return false;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator("/proc/self/fd", ec)) {
        const int fd = std::atoi(entry.path().filename().c_str());
        struct stat st {};
        if (::fstat(fd, &st) == 0 && st.st_dev == want.st_dev && st.st_ino == want.st_ino && ::flock(fd, LOCK_EX | LOCK_NB) == 0)
            return true;
    }
    return false;
}
}  // namespace

void check_run_folder(const std::string& run_dir, const std::string& trial_id, const std::vector<std::string>& sources) {
    const fs::path dir = canonical_path(run_dir);
    for (const std::string& s : sources) {
        if (s.empty()) continue;
        const fs::path src = canonical_path(s);
        const char* how = src == dir ? "is the run folder" : is_within(src, dir) ? "lies inside it" : is_within(dir, src) ? "contains it" : nullptr;
        if (how)
            throw RunFolderRefused(fmt::format("run folder {}: this trial reads {}, which {}: writing the trial there would replace "
                                               "what it reads: {}",
                                               run_dir, s, how, kFix));
    }
    for (const char* name : {"result.json", "config.yaml", "ckpt.safetensors"}) {
        const fs::path file = dir / name;
        std::error_code ec;
        if (!fs::exists(file, ec)) continue;
        const std::string owner = owner_of(file, run_dir);
        if (owner != trial_id)
            throw RunFolderRefused(fmt::format("run folder {} holds trial {} (its {} says so), not this trial {}: {}", run_dir, owner,
                                               name, trial_id, kFix));
    }
}

TrialLock lock_run_folder(const std::string& run_dir, const std::string& trial_id) {
    TrialLock lock = TrialLock::try_acquire(run_dir);
    if (lock.held() || holds_inherited_lock((fs::path(run_dir) / ".lock").string())) return lock;
    throw RunFolderRefused(fmt::format("run folder {}: trial {} is already running there (another process holds {}/.lock): "
                                       "wait for it to finish, or use another --run-dir",
                                       run_dir, trial_id, run_dir));
}

bool holds_completed_result(const std::string& run_dir, const std::string& trial_id) {
    std::ifstream in((fs::path(run_dir) / "result.json").string());
    if (!in) return false;
    const json r = json::parse(in, nullptr, false);
    auto text = [&](const char* key) { return r.is_object() && r.contains(key) && r[key].is_string() ? r[key].get<std::string>() : ""; };
    return text("trial_id") == trial_id && text("status") == "completed";
}

}  // namespace altup
