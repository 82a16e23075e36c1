#include "sweeps/sweep_runner.hpp"

#include "analysis/report_tables.hpp"

#include <sched.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <limits>
#include <optional>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <yaml-cpp/yaml.h>

#include "experiments/config/config_io.hpp"
#include "experiments/trial/result_record.hpp"
#include "util/utc_time.hpp"
#include "util/atomic_file.hpp"
#include "util/json_path.hpp"
#include "util/result_file.hpp"
#include "sweeps/sweep_eta.hpp"
#include "sweeps/sweep_report.hpp"
#include "sweeps/trial_progress.hpp"
#include "sweeps/trial_outcome.hpp"
#include "util/trial_lock.hpp"
#include "sweeps/trial_process.hpp"
#include "sweeps/trial_state.hpp"

namespace altup {
namespace {

using Clock = std::chrono::steady_clock;
namespace fs = std::filesystem;

constexpr int kLogTailLines = 20;

volatile sig_atomic_t g_stop_signals = 0;
void on_stop_signal(int) { g_stop_signals = g_stop_signals + 1; }

// SIGINT/SIGTERM only raise a flag while the runner runs; the old handlers come back after.
class StopSignalScope {
public:
    StopSignalScope() {
        g_stop_signals = 0;
        struct sigaction action {};
        action.sa_handler = on_stop_signal;
        sigemptyset(&action.sa_mask);
        action.sa_flags = 0;  // no SA_RESTART: a signal cuts the poll sleep short
        sigaction(SIGINT, &action, &old_int_);
        sigaction(SIGTERM, &action, &old_term_);
    }
    ~StopSignalScope() {
        sigaction(SIGINT, &old_int_, nullptr);
        sigaction(SIGTERM, &old_term_, nullptr);
    }
    StopSignalScope(const StopSignalScope&) = delete;
    StopSignalScope& operator=(const StopSignalScope&) = delete;

private:
    struct sigaction old_int_ {};
    struct sigaction old_term_ {};
};

std::vector<std::string> last_lines(const std::string& path, int count) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return {};
    in.seekg(0, std::ios::end);
    const std::streamoff size = in.tellg();
    const std::streamoff start = std::max<std::streamoff>(0, size - 64 * 1024);  // enough for the tail
    in.seekg(start);
    std::vector<std::string> lines;
    std::string line;
    while (std::getline(in, line)) lines.push_back(line);
    if (start > 0 && !lines.empty()) lines.erase(lines.begin());  // probably cut in the middle
    if (static_cast<int>(lines.size()) > count) lines.erase(lines.begin(), lines.end() - count);
    return lines;
}

// result.json's status when it holds the schema, "" when it is absent or invalid.
std::string result_status(const std::string& dir) {
    const ResultFile file = read_result_file(dir + "/result.json");
    return file.valid() ? file.status : "";
}

// The trainer's own message in a valid result.json ("" when it has none).
std::string result_message(const std::string& dir) {
    const ResultFile file = read_result_file(dir + "/result.json");
    if (!file.valid() || !file.root.contains("message") || !file.root["message"].is_string()) return "";
    return file.root["message"].get<std::string>();
}

std::vector<std::string> default_trainer_command() {
    std::error_code ec;
    const fs::path self = fs::read_symlink("/proc/self/exe", ec);
    return {ec ? std::string("/proc/self/exe") : self.string(), "train"};
}


struct RunningTrial {
    size_t index;
    pid_t pid;
    TrialLock lock;
    Clock::time_point started;
    std::string started_at;
    int attempts;
    std::vector<std::string> argv;
};

class Runner {
public:
    Runner(const SweepExpansion& sweep, const RunnerOptions& options)
        : sweep_(sweep), options_(options), records_(sweep.trials.size()), eta_(sweep_training_flops(sweep)) {
        jobs_ = std::max(1, options.jobs);
        threads_ = threads_per_trial(available_cores(), jobs_, options.threads);
        trainer_ = options.trainer_command.empty() ? default_trainer_command() : options.trainer_command;
        for (const Trial& t : sweep.trials) owners_.push_back(owner_of(sweep, t));
        for (size_t i = 0; i < sweep.trials.size(); ++i)
            dependency_.push_back(sweep.trials[i].depends_on.empty() ? kNoDependency : trial_index(sweep, sweep.trials[i].depends_on));
    }

    int run() {
        StopSignalScope signals;
        for (size_t i = 0; i < sweep_.trials.size(); ++i) {
            records_[i] = record_of(i);
            if (!is_settled(records_[i].status)) queue_.push_back(i);
        }
        announce_start();
        remove_leftover_temporaries((fs::path(options_.out_dir) / sweep_.spec.name).string());
        for (size_t i = 0; i < sweep_.trials.size(); ++i)
            if (is_settled(records_[i].status) && !is_left_alone(records_[i].status)) remove_leftover_temporaries_of_trial(i);
        report_left_alone();

        bool forwarded = false;
        bool killed = false;
        auto last_print = Clock::now();
        while (true) {
            if (g_stop_signals > 0 && !forwarded) {
                forwarded = true;
                say("stopping: sending SIGTERM to {} running trial{} and waiting for their checkpoints",
                    running_.size(), running_.size() == 1 ? "" : "s");
                signal_children(SIGTERM);
            }
            if (g_stop_signals > 1 && !killed) {
                killed = true;
                say("second signal: killing the running trials");
                signal_children(SIGKILL);
            }
            bool changed = reap_finished();
            if (g_stop_signals == 0) changed = start_pending() || changed;
            if (running_.empty() && (queue_.empty() || g_stop_signals > 0)) break;
            if (changed || Clock::now() - last_print > std::chrono::duration<double>(options_.progress_every_s)) {
                print_progress();
                last_print = Clock::now();
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }

        for (size_t i = 0; i < sweep_.trials.size(); ++i) records_[i] = record_of(i);
        if (options_.progress) {
            say("{}", progress_line(sweep_.spec.name, counts(), -1));
            print_summary_table(options_.progress, sweep_, records_);
            print_analysis_table();
            report_left_alone();  // again at the end, where it is seen
        }
        if (g_stop_signals > 0) {
            say("stopped; run the same command again to resume");
            return 130;
        }
        for (const auto& r : records_)
            if (r.status != TrialStatus::completed) return 1;
        return 0;
    }

private:
    // One line per trial whose folder is left alone, naming the file and the fix.
    void report_left_alone() {
        for (size_t i = 0; i < sweep_.trials.size(); ++i)
            if (is_left_alone(records_[i].status))
                say("{:<11} {} ({}): {}", "not run", sweep_.trials[i].id, to_string(records_[i].status), records_[i].message);
    }

    // The analysis tool's table of the completed trials: grouped over seeds,
    // with deltas against the baseline variant when there is one.
    void print_analysis_table() {
        if (counts().completed == 0) return;
        try {
            AnalyzeOptions options;
            options.confidence_intervals = true;  // every mean it prints has its 95% interval
            const std::string table = render_summary_table((fs::path(options_.out_dir) / sweep_.spec.name).string(), options);
            std::fprintf(options_.progress, "\n%s", table.c_str());
        } catch (const std::exception& e) {
            say("(no analysis table: {})", e.what());
        }
    }

    template <typename... Args>
    void say(fmt::format_string<Args...> format, Args&&... args) {
        if (!options_.progress) return;
        fmt::print(options_.progress, format, std::forward<Args>(args)...);
        fmt::print(options_.progress, "\n");
        std::fflush(options_.progress);
    }

    std::string dir_of(size_t i) const { return trial_dir(options_, sweep_, sweep_.trials[i]); }
    // What the trial's folder says, a result that is not this trial's being `foreign`.
    TrialRecord record_of(size_t i) const { return read_trial_record(dir_of(i), &owners_[i]); }

    // Completed trials are done; failed/diverged ones stay so unless --retry-failed;
    // a folder holding another run's result, or an invalid one, is never run over.
    bool is_settled(TrialStatus s) const {
        return s == TrialStatus::completed || is_left_alone(s) || (is_unsuccessful(s) && !options_.retry_failed);
    }

    void announce_start() {
        int completed = 0, failed = 0, left_alone = 0;
        for (const auto& r : records_) {
            completed += r.status == TrialStatus::completed;
            failed += is_unsuccessful(r.status);
            left_alone += is_left_alone(r.status);
        }
        say("sweep '{}': {} trials, {} already completed, {} failed{}{}, {} to run ({} at a time, {} thread{} each) in {}",
            sweep_.spec.name, sweep_.trials.size(), completed, failed,
            failed && !options_.retry_failed ? " (kept; --retry-failed re-runs them)" : "",
            left_alone ? fmt::format(", {} not run (foreign or invalid result.json, listed below)", left_alone) : "", queue_.size(), jobs_, threads_,
            threads_ == 1 ? "" : "s", (fs::path(options_.out_dir) / sweep_.spec.name).string());
    }

    // Temporaries of atomic writes that were killed before their rename (a
    // checkpoint can be large): removed when their writer is gone.
    void remove_leftover_temporaries(const std::string& dir) {
        for (const std::string& path : remove_stale_temporaries(dir)) say("{:<11} {} (left by a killed write)", "removed", path);
    }

    // A settled trial's folder, while no one holds its lock (queued trials are
    // cleaned when they start; a foreign folder is never touched).
    void remove_leftover_temporaries_of_trial(size_t i) {
        const std::string dir = dir_of(i);
        std::error_code ec;
        if (!fs::is_directory(dir, ec)) return;
        try {
            if (TrialLock lock = TrialLock::try_acquire(dir); lock.held()) remove_leftover_temporaries(dir);
        } catch (const std::exception& e) {
            say("{:<11} {}: {}", "error", sweep_.trials[i].id, e.what());  // a read-only folder: nothing to clean
        }
    }

    ProgressCounts counts() const { return count_statuses(sweep_, records_); }

    std::int64_t steps_of(size_t i) const {
        const Config& c = sweep_.trials[i].config;
        return c.finetuning() ? c.finetune.steps : c.train.steps;
    }

    // The sweep's line, then one per running trial: its step, training loss and ETA.
    void print_progress() {
        std::vector<std::string> lines;
        for (const auto& r : running_) {
            const std::optional<TrialProgress> p = read_trial_progress(dir_of(r.index));
            if (!p) {
                lines.push_back(fmt::format("  {:<9} {} starting", "running", sweep_.trials[r.index].id));
                continue;
            }
            const std::int64_t steps = steps_of(r.index);
            eta_.observe(r.index, double(p->step) / double(std::max<std::int64_t>(1, steps)), p->time_s);
            const std::optional<double> left = eta_.remaining(r.index);
            lines.push_back(fmt::format("  {:<9} {} step {}/{}  loss {:.4f}  ETA {}", "running", sweep_.trials[r.index].id,
                                        p->step, steps, p->loss, left ? format_duration(*left) : std::string("unknown")));
        }
        std::vector<size_t> left(queue_.begin(), queue_.end());
        for (const auto& r : running_) left.push_back(r.index);
        const std::optional<double> eta = eta_.remaining(left, jobs_);
        say("{}", progress_line(sweep_.spec.name, counts(), eta ? *eta : -1));
        for (const std::string& line : lines) say("{}", line);
    }

    void signal_children(int sig) {
        for (const auto& r : running_) ::kill(-r.pid, sig);  // its process group: the trainer and any helpers
    }

    // Starts queued trials while slots are free; trials another runner holds
    // and fine-tune trials whose pretraining trial is not done stay queued.
    bool start_pending() {
        bool changed = false;
        for (auto it = queue_.begin(); it != queue_.end() && static_cast<int>(running_.size()) < jobs_;) {
            const size_t i = *it;
            switch (try_start(i)) {
                case StartResult::started:
                case StartResult::settled:
                    it = queue_.erase(it);
                    changed = true;
                    break;
                case StartResult::busy:
                    ++it;
                    break;
            }
        }
        return changed;
    }

    enum class StartResult { started, settled, busy };
    enum class Dependency { none, ready, waiting, failed };
    static constexpr size_t kNoDependency = std::numeric_limits<size_t>::max();

    // Trial i's pretraining trial: still to run (queued or running here, or held
    // by another runner), completed, or settled unsuccessful (failed or diverged
    // in this run, or kept so without --retry-failed).
    Dependency dependency_state(size_t i) const {
        const size_t d = dependency_[i];
        if (d == kNoDependency) return Dependency::none;
        if (std::find(queue_.begin(), queue_.end(), d) != queue_.end()) return Dependency::waiting;
        for (const auto& r : running_)
            if (r.index == d) return Dependency::waiting;
        return records_[d].status == TrialStatus::completed ? Dependency::ready : Dependency::failed;
    }

    // Records a fine-tune trial whose pretraining trial failed as failed, without
    // starting it; --retry-failed retries it after its pretraining trial.
    void record_not_fine_tuned(size_t i, TrialLock& lock, int attempts) {
        const Trial& trial = sweep_.trials[i];
        const Trial& pretraining = sweep_.trials[dependency_[i]];
        const std::string dir = dir_of(i);
        const std::string dep_status = is_unsuccessful(records_[dependency_[i]].status) ? to_string(records_[dependency_[i]].status) : "did not complete";
        const std::string message = not_fine_tuned_message(pretraining, dep_status);
        write_file_atomically(dir + "/config.yaml", trial_config_yaml(trial));
        nlohmann::json runner = {
            {"schema_version", 1},     {"trial_id", trial.id}, {"name", trial.name},       {"sweep", sweep_.spec.name},
            {"labels", trial.labels}, {"status", "failed"},   {"exit_code", nullptr},     {"attempts", attempts},
            {"threads", threads_},    {"started_at", nullptr}, {"finished_at", utc_now_iso()}, {"wall_time_s", nullptr},
            {"command", nullptr},     {"log_tail", nlohmann::json::array()},
            {"depends_on", pretraining.id}, {"message", message},
        };
        write_file_atomically(dir + "/runner.json", runner.dump(2) + "\n");
        write_file_atomically(dir + "/result.json", failed_result_text(sweep_, trial, message));
        {
            std::ofstream log(dir + "/train.log", std::ios::app);
            log << fmt::format("=== altup sweep: not started at {}: {}\n", utc_now_iso(), message);
        }
        lock.release();
        records_[i] = record_of(i);
        say("{:<11} {} {}: {}", "not run", trial.id, labels_text(trial.labels), message);
    }

    StartResult try_start(size_t i) {
        const Trial& trial = sweep_.trials[i];
        const std::string dir = dir_of(i);
        const Dependency dependency = dependency_state(i);
        if (dependency == Dependency::waiting) return StartResult::busy;
        try {
            fs::create_directories(dir);
            TrialLock lock = TrialLock::try_acquire(dir);
            if (!lock.held()) {
                records_[i].status = TrialStatus::running;  // by another runner
                return StartResult::busy;
            }
            remove_leftover_temporaries(dir);  // no writer is left in a folder whose lock we hold
            // Another runner may have finished it while we waited for the lock.
            TrialRecord record = record_of(i);
            if (is_settled(record.status)) {
                records_[i] = record;
                return StartResult::settled;
            }
            if (dependency == Dependency::failed) {
                record_not_fine_tuned(i, lock, record.attempts);
                return StartResult::settled;
            }
            write_file_atomically(dir + "/config.yaml", trial_config_yaml(trial));

            RunningTrial run{i, -1, std::move(lock), Clock::now(), utc_now_iso(), record.attempts + 1, trainer_};
            run.argv.insert(run.argv.end(), {dir + "/config.yaml", "--run-dir", dir, "--resume", "--quiet", "--progress-every",
                                             fmt::format("{:g}", options_.trial_log_every_s), "--sweep", sweep_.spec.name});
            if (dependency == Dependency::ready) {
                // finetune.from: pretrain resolves to this folder (its ckpt.safetensors and result.json).
                run.argv.push_back("--pretrained");
                run.argv.push_back(fs::absolute(dir_of(dependency_[i])).lexically_normal().string());
            }
            for (const auto& [key, value] : ordered_labels(trial.labels)) {
                run.argv.push_back("--label");
                run.argv.push_back(key + "=" + value);
            }
            {
                std::ofstream log(dir + "/train.log", std::ios::app);
                log << fmt::format("{}{} at {}, {} thread{}: {}\n", kAttemptLinePrefix, run.attempts, run.started_at,
                                   threads_, threads_ == 1 ? "" : "s", fmt::join(run.argv, " "));
            }
            ChildCommand command{run.argv, {fmt::format("OMP_NUM_THREADS={}", threads_)}, dir + "/train.log", run.lock.fd()};
            run.pid = start_child(command);
            records_[i].status = TrialStatus::running;
            // A trial stopped mid-way left result.json saying "running" (the lock we now hold makes a
            // folder without one read as running too, so the file decides); a retried one has attempts.
            std::error_code ec;
            const bool stopped = (record.status == TrialStatus::interrupted || record.status == TrialStatus::running) &&
                                 fs::exists(dir + "/result.json", ec);
            const std::string how = stopped ? "resuming" : run.attempts > 1 ? fmt::format("attempt {}", run.attempts) : "new";
            say("{:<11} {} {} ({})", "started", trial.id, labels_text(trial.labels), how);
            running_.push_back(std::move(run));
            return StartResult::started;
        } catch (const std::exception& e) {
            // A trial we cannot even start (disk full, fork failed) is a failed trial, not a stopped sweep.
            say("{:<11} {} {}: {}", "error", trial.id, labels_text(trial.labels), e.what());
            records_[i].status = TrialStatus::failed;
            records_[i].message = e.what();
            return StartResult::settled;
        }
    }

    bool reap_finished() {
        bool changed = false;
        for (auto it = running_.begin(); it != running_.end();) {
            int wait_status = 0;
            const pid_t done = ::waitpid(it->pid, &wait_status, WNOHANG);
            if (done == 0 || (done < 0 && errno == EINTR)) { ++it; continue; }
            const int exit_code = done < 0 ? -1 : exit_code_of(wait_status);
            finish(*it, exit_code);
            it = running_.erase(it);  // releases the lock (the child's copy died with it)
            changed = true;
        }
        return changed;
    }

    // Decides the trial's status from its exit code and result.json, and records it.
    void finish(RunningTrial& run, int exit_code) {
        const Trial& trial = sweep_.trials[run.index];
        const std::string dir = dir_of(run.index);
        const double seconds = std::chrono::duration<double>(Clock::now() - run.started).count();
        const std::string reported = result_status(dir);
        const std::vector<std::string> tail = last_lines(dir + "/train.log", kLogTailLines);

        const TrialOutcome outcome = decide_outcome(exit_code, reported, tail.empty() ? "" : tail.back());
        const std::string& status = outcome.status;
        const std::string& message = outcome.failure_message;
        if (status == "completed") {
            // Its whole run, all attempts: what a pending trial of its size will take.
            const ResultFile done = read_result_file(dir + "/result.json");
            const nlohmann::json* wall = done.valid() ? find_json_path(done.root, "train.wall_time_s") : nullptr;
            eta_.observe(run.index, 1.0, wall && wall->is_number() ? wall->get<double>() : seconds);
        }

        nlohmann::json runner = {
            {"schema_version", 1},
            {"trial_id", trial.id},
            {"name", trial.name},
            {"sweep", sweep_.spec.name},
            {"labels", trial.labels},
            {"status", status},
            {"exit_code", exit_code},
            {"attempts", run.attempts},
            {"threads", threads_},
            {"started_at", run.started_at},
            {"finished_at", utc_now_iso()},
            {"wall_time_s", seconds},
            {"command", run.argv},
            {"log_tail", tail},
        };
        if (!message.empty()) runner["message"] = message;
        if (!outcome.note.empty()) runner["note"] = outcome.note;
        const std::string own = result_message(dir);  // read before any failure record replaces it
        if (!own.empty()) runner["trainer_message"] = own;
        if (const ResultFile left = read_result_file(dir + "/result.json"); left.invalid())
            runner["note"] = "the trainer left an invalid result.json (" + left.problem + "); it is kept, not replaced by a failed record";
        try {
            write_file_atomically(dir + "/runner.json", runner.dump(2) + "\n");
            if (!message.empty()) write_failure_record(dir, trial, message);
        } catch (const std::exception& e) {
            say("{:<11} {}: {}", "error", trial.id, e.what());
        }
        records_[run.index] = read_trial_record_after_release(run, dir);
        // A trial that did not complete says why: the trainer's own message, else the runner's.
        const std::string why = status == "completed" ? "" : !own.empty() ? own : message;
        say("{:<11} {} {} in {} (exit {}){}{}", status, trial.id, labels_text(trial.labels), format_duration(seconds), exit_code,
            outcome.note.empty() ? "" : ": " + outcome.note, why.empty() ? "" : ": " + why);
    }

    // The failed result.json of a trial whose trainer wrote no final result;
    // read again just before, so that a completed or diverged result, or one
    // that fails the schema check (someone's to look at), is never replaced.
    void write_failure_record(const std::string& dir, const Trial& trial, const std::string& message) {
        const ResultFile now = read_result_file(dir + "/result.json");
        if (now.invalid() || now.says("completed") || now.says("diverged") || now.says("failed")) return;
        // Nothing of the trainer's unfinished record is kept: its figures were never final.
        write_result_record(dir + "/result.json", failure_record(trial.config, {sweep_.spec.name, trial.labels}, message));
    }

    // The record must not see our own lock as "running elsewhere".
    TrialRecord read_trial_record_after_release(RunningTrial& run, const std::string& dir) {
        run.lock.release();
        return read_trial_record(dir, &owners_[run.index]);
    }

    const SweepExpansion& sweep_;
    std::vector<TrialOwner> owners_;  // per trial: the sweep and labels its result must carry
    RunnerOptions options_;
    int jobs_ = 1;
    int threads_ = 1;
    std::vector<std::string> trainer_;
    std::vector<TrialRecord> records_;
    std::vector<size_t> queue_;
    std::vector<RunningTrial> running_;
    SweepEta eta_;
    std::vector<size_t> dependency_;  // index of each trial's pretraining trial, or kNoDependency
};

}  // namespace

std::string trial_config_yaml(const Trial& trial) { return config_yaml_text(trial.config); }

int available_cores() {
    cpu_set_t set;
    CPU_ZERO(&set);
    if (sched_getaffinity(0, sizeof set, &set) == 0) return std::max(1, CPU_COUNT(&set));
    return std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
}

int threads_per_trial(int cores, int jobs, int requested) {
    if (requested > 0) return requested;
    return std::max(1, cores / std::max(1, jobs));
}

TrialOwner owner_of(const SweepExpansion& sweep, const Trial& trial) { return {sweep.spec.name, trial.labels}; }

std::string trial_dir(const RunnerOptions& options, const SweepExpansion& sweep, const Trial& trial) {
    return (fs::path(options.out_dir) / sweep.spec.name / trial.id).string();
}

std::string not_fine_tuned_message(const Trial& pretraining, const std::string& status) {
    return fmt::format("pretraining trial {} ({}) {}; not fine-tuned", pretraining.id, labels_text(pretraining.labels), status);
}

std::string failed_result_text(const SweepExpansion& sweep, const Trial& trial, const std::string& message) {
    return failure_record(trial.config, {sweep.spec.name, trial.labels}, message).dump(2) + "\n";
}

int run_sweep(const SweepExpansion& sweep, const RunnerOptions& options) { return Runner(sweep, options).run(); }

}  // namespace altup
