// Helpers shared by the sweep tests: temporary folders, sweeps from text, and
// the fake trainer (fake_trainer.sh) that stands in for `altup train`.
#pragma once
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>
#include <yaml-cpp/yaml.h>

#include "sweeps/sweep_command.hpp"
#include "sweeps/sweep_expansion.hpp"
#include "sweeps/sweep_runner.hpp"
#include "sweeps/sweep_spec.hpp"

namespace sweep_test {

namespace fs = std::filesystem;

// A fresh folder under /tmp, removed with everything in it at scope exit.
class TempDir {
public:
    TempDir() {
        std::string pattern = (fs::temp_directory_path() / "altup-sweeps-XXXXXX").string();
        path_ = ::mkdtemp(pattern.data());
    }
    ~TempDir() {
        std::error_code ec;
        fs::remove_all(path_, ec);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const std::string& path() const { return path_; }
    std::string operator/(const std::string& name) const { return path_ + "/" + name; }

private:
    std::string path_;
};

inline void write_text(const std::string& path, const std::string& text) {
    fs::create_directories(fs::path(path).parent_path());
    std::ofstream(path) << text;
}

inline std::string read_text(const std::string& path) {
    std::ifstream in(path);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

inline nlohmann::json read_json(const std::string& path) { return nlohmann::json::parse(read_text(path)); }

// A sweep written as text and named "sweep.yaml" in messages; relative bases resolve in `dir`.
inline altup::SweepSpec spec_from(const std::string& text, const std::string& dir = ".") {
    return altup::parse_sweep(YAML::Load(text), "sweep.yaml", dir);
}

inline altup::SweepExpansion expand_text(const std::string& text, const std::string& dir = ".") {
    return altup::expand_sweep(spec_from(text, dir));
}

inline std::string fake_trainer_path() { return std::string(ALTUP_SOURCE_DIR) + "/tests/sweeps/fake_trainer.sh"; }

// Sets the fake trainer's knobs for one test and puts the old values back.
class FakeTrainerEnv {
public:
    explicit FakeTrainerEnv(const TempDir& dir, int steps = 4, const char* step_sleep = "0.02") {
        set("FAKE_COMPLETIONS", dir / "completions");
        set("FAKE_STEPS", std::to_string(steps));
        set("FAKE_STEP_SLEEP", step_sleep);
        set("FAKE_FAIL_LABEL", "");
        set("FAKE_DIVERGE_LABEL", "");
        set("FAKE_KILL_AFTER_RESULT", "");
        set("FAKE_EXIT_AFTER_RESULT", "");
        set("FAKE_BROKEN_RESULT", "");
    }
    ~FakeTrainerEnv() {
        for (const auto& [name, value] : saved_) {
            if (value) ::setenv(name.c_str(), value->c_str(), 1);
            else ::unsetenv(name.c_str());
        }
    }
    void set(const std::string& name, const std::string& value) {
        if (!saved_.count(name)) {
            const char* old = std::getenv(name.c_str());
            saved_[name] = old ? std::optional<std::string>(old) : std::nullopt;
        }
        ::setenv(name.c_str(), value.c_str(), 1);
    }

private:
    std::map<std::string, std::optional<std::string>> saved_;
};

inline altup::RunnerOptions fake_options(const TempDir& dir, int jobs = 2) {
    altup::RunnerOptions options;
    options.out_dir = dir / "runs";
    options.jobs = jobs;
    options.trainer_command = {"/bin/sh", fake_trainer_path()};
    options.progress = nullptr;
    return options;
}

// A completed result.json that holds the schema (util/result_file.hpp), with
// made-up numbers; an empty sweep is a standalone run's (null).
inline nlohmann::json completed_result(const std::string& trial_id, const std::string& sweep,
                                       const std::map<std::string, std::string>& labels) {
    using nlohmann::json;
    return {{"schema_version", 1}, {"trial_id", trial_id}, {"name", "n"}, {"sweep", sweep.empty() ? json(nullptr) : json(sweep)},
            {"labels", labels}, {"status", "completed"}, {"message", ""}, {"config", json::object()}, {"params", nullptr},
            {"quality", {{"eval_loss", 3.25}, {"perplexity", 25.8}, {"token_accuracy", 0.4}}},
            {"train", {{"steps_done", 100}, {"wall_time_s", 60}}},
            {"speed", {{"train_tokens_per_s", 1234.5}, {"ms_per_step", {{"median", 10.0}}}, {"eval_tokens_per_s", 3000.0}}}};
}

// Lines of the completions file: one trial id per finished fake training.
inline std::map<std::string, int> completions(const std::string& path) {
    std::map<std::string, int> count;
    std::ifstream in(path);
    for (std::string line; std::getline(in, line);)
        if (!line.empty()) ++count[line];
    return count;
}

// Waits up to 30 s for `ready`; the tests never assert on elapsed time, this only stops a hang.
inline bool wait_until(const std::function<bool()>& ready) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (std::chrono::steady_clock::now() < deadline) {
        if (ready()) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return false;
}

// Runs `body` in a forked child whose stdout/stderr go to `log`; returns its pid.
inline pid_t fork_process(const std::string& log, const std::function<int()>& body) {
    std::fflush(nullptr);
    const pid_t pid = ::fork();
    if (pid == 0) {
        // Inherited descriptors would keep the parent's trial locks held for as long as the child lives.
        for (int fd = 3; fd < 1024; ++fd) ::close(fd);
        std::FILE* out = std::freopen(log.c_str(), "w", stdout);
        if (out) ::dup2(::fileno(stdout), STDERR_FILENO);
        int rc = 99;
        try {
            rc = body();
        } catch (...) {
        }
        std::fflush(nullptr);
        ::_exit(rc);
    }
    return pid;
}

inline int wait_exit_code(pid_t pid) {
    int status = 0;
    ::waitpid(pid, &status, 0);
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    return 128 + WTERMSIG(status);
}

// `altup sweep ARGS...` run to its end in a child process whose stdout and stderr go to `log`; its exit code.
inline int run_sweep_command(const std::string& log, std::vector<std::string> args) {
    args.insert(args.begin(), "sweep");
    return wait_exit_code(fork_process(log, [&] {
        std::vector<char*> argv;
        for (auto& a : args) argv.push_back(a.data());
        return altup::sweep_command(static_cast<int>(argv.size()), argv.data());
    }));
}

}  // namespace sweep_test
