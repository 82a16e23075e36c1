// The runner, driven against fake_trainer.sh: resume, failures, locks, signals.
#include <catch2/catch.hpp>

#include <signal.h>
#include <stdlib.h>

#include <regex>

#include <fmt/format.h>

#include "experiments/config/config_io.hpp"
#include "sweep_test_support.hpp"
#include "sweeps/sweep_command.hpp"
#include "sweeps/sweep_report.hpp"
#include "sweeps/sweep_runner.hpp"
#include "util/trial_lock.hpp"
#include "sweeps/trial_state.hpp"
#include "util/atomic_file.hpp"
#include "util/run_folders.hpp"

using namespace altup;
using namespace sweep_test;

namespace {

// Three variants x two seeds = six trials.
const std::string kSweep =
    "name: fake\n"
    "base: {model: {preset: tiny}, train: {steps: 10}}\n"
    "variants: {baseline: {}, altup-k2: {model.altup.k: 2}, bad: {model.altup.k: 4}}\n"
    "seeds: 2\n";

// `altup sweep FILE --jobs N --out DIR --trainer "sh fake_trainer.sh"` in a child process.
pid_t fork_sweep_command(const TempDir& dir, const std::string& sweep_file, const std::string& log, int jobs = 2) {
    return fork_process(log, [&] {
        std::vector<std::string> args = {"sweep", sweep_file, "--jobs", std::to_string(jobs), "--out", dir / "runs",
                                         "--trainer", "/bin/sh " + fake_trainer_path()};
        std::vector<char*> argv;
        for (auto& a : args) argv.push_back(a.data());
        return sweep_command(static_cast<int>(argv.size()), argv.data());
    });
}

int progress_of(const std::string& trial_dir) {
    const std::string text = read_text(trial_dir + "/progress");
    return text.empty() ? 0 : std::stoi(text);
}

int count_occurrences(const std::string& text, const std::string& what) {
    int n = 0;
    for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
    return n;
}

void check_every_trial_completed_once(const SweepExpansion& sweep, const RunnerOptions& options, const TempDir& dir) {
    const auto done = completions(dir / "completions");
    CHECK(done.size() == sweep.trials.size());
    for (const auto& trial : sweep.trials) {
        INFO("trial " << trial.id << " " << labels_text(trial.labels));
        CHECK(done.count(trial.id) == 1);
        if (done.count(trial.id)) CHECK(done.at(trial.id) == 1);
        CHECK(read_json(trial_dir(options, sweep, trial) + "/result.json")["status"] == "completed");
    }
}

}  // namespace

TEST_CASE("threads per trial split the cores between jobs unless given", "[runner]") {
    CHECK(threads_per_trial(8, 3, 0) == 2);
    CHECK(threads_per_trial(2, 2, 0) == 1);
    CHECK(threads_per_trial(2, 4, 0) == 1);
    CHECK(threads_per_trial(16, 1, 0) == 16);
    CHECK(threads_per_trial(16, 4, 3) == 3);
    CHECK(available_cores() >= 1);
}

TEST_CASE("durations read as hours, minutes and seconds", "[report]") {
    CHECK(format_duration(12.4) == "12s");
    CHECK(format_duration(185) == "3m05s");
    CHECK(format_duration(3720) == "1h02m");
}

TEST_CASE("the runner writes each trial's config, runs it with the protocol's arguments, and skips it next time",
          "[runner]") {
    TempDir dir;
    FakeTrainerEnv env(dir);
    const auto sweep = expand_text(kSweep);
    RunnerOptions options = fake_options(dir);
    options.threads = 3;
    REQUIRE(run_sweep(sweep, options) == 0);
    check_every_trial_completed_once(sweep, options, dir);

    const Trial& trial = sweep.trials[2];  // altup-k2, seed 1
    const std::string tdir = dir.path() + "/runs/fake/" + trial.id;
    // config.yaml is the resolved config: it reads back to the same id.
    CHECK(config_id(parse_config(YAML::LoadFile(tdir + "/config.yaml"), "config.yaml")) == trial.id);
    const std::string log = read_text(tdir + "/train.log");
    CHECK_THAT(log, Catch::Contains("config=" + tdir + "/config.yaml"));
    CHECK_THAT(log, Catch::Contains("sweep=fake labels= variant=altup-k2 seed=1 OMP_NUM_THREADS=3"));
    const auto runner = read_json(tdir + "/runner.json");
    CHECK(runner["status"] == "completed");
    CHECK(runner["exit_code"] == 0);
    CHECK(runner["attempts"] == 1);
    CHECK(runner["labels"]["variant"] == "altup-k2");
    const auto args = runner["command"].get<std::vector<std::string>>();
    CHECK(std::vector<std::string>(args.begin() + 2, args.begin() + 11) ==
          std::vector<std::string>{tdir + "/config.yaml", "--run-dir", tdir, "--resume", "--quiet", "--progress-every", "60",
                                   "--sweep", "fake"});

    // Resume is the default: a second run starts nothing.
    REQUIRE(run_sweep(sweep, options) == 0);
    check_every_trial_completed_once(sweep, options, dir);
    CHECK(count_occurrences(read_text(tdir + "/train.log"), "=== altup sweep: attempt") == 1);
}

TEST_CASE("a failed trial does not stop the others, is recorded, and is re-run only with --retry-failed", "[runner]") {
    TempDir dir;
    FakeTrainerEnv env(dir);
    env.set("FAKE_FAIL_LABEL", "variant=bad");
    const auto sweep = expand_text(kSweep);
    RunnerOptions options = fake_options(dir);
    std::FILE* progress = std::tmpfile();
    options.progress = progress;
    CHECK(run_sweep(sweep, options) == 1);
    options.progress = nullptr;
    std::rewind(progress);
    std::string printed;
    for (int c; (c = std::fgetc(progress)) != EOF;) printed += char(c);
    std::fclose(progress);
    // The finish line says why: the exit code and the trainer's last words.
    std::regex failed_line(R"(failed +[0-9a-f]{12} variant=bad [^\n]*\(exit 1\): [^\n]*fake failure: refusing to train)");
    CHECK(std::regex_search(printed, failed_line));

    int failed = 0;
    for (const auto& trial : sweep.trials) {
        const std::string tdir = trial_dir(options, sweep, trial);
        const TrialRecord record = read_trial_record(tdir);
        if (trial.labels.at("variant") != "bad") {
            CHECK(record.status == TrialStatus::completed);
            continue;
        }
        ++failed;
        CHECK(record.status == TrialStatus::failed);
        const auto runner = read_json(tdir + "/runner.json");
        CHECK(runner["status"] == "failed");
        CHECK(runner["exit_code"] == 1);
        CHECK_THAT(runner["log_tail"].back().get<std::string>(), Catch::Contains("fake failure"));
        // The trainer left result.json at "running": the runner wrote the failure for analysis.
        const auto result = read_json(tdir + "/result.json");
        CHECK(result["status"] == "failed");
        CHECK(result["trial_id"] == trial.id);
        CHECK(result["labels"]["variant"] == "bad");
        CHECK_THAT(result["message"].get<std::string>(), Catch::Contains("exited with code 1") && Catch::Contains("fake failure"));
        CHECK(result["quality"]["eval_loss"].is_null());
    }
    CHECK(failed == 2);
    CHECK(completions(dir / "completions").size() == 4);

    // Without --retry-failed nothing runs again and the exit code still says so.
    CHECK(run_sweep(sweep, options) == 1);
    for (const auto& trial : sweep.trials)
        CHECK(read_json(trial_dir(options, sweep, trial) + "/runner.json")["attempts"] == 1);

    env.set("FAKE_FAIL_LABEL", "");
    options.retry_failed = true;
    CHECK(run_sweep(sweep, options) == 0);
    check_every_trial_completed_once(sweep, options, dir);
    for (const auto& trial : sweep.trials)
        CHECK(read_json(trial_dir(options, sweep, trial) + "/runner.json")["attempts"] == (trial.labels.at("variant") == "bad" ? 2 : 1));
}

TEST_CASE("a diverged trial keeps its own result.json and fails the sweep", "[runner]") {
    TempDir dir;
    FakeTrainerEnv env(dir);
    env.set("FAKE_DIVERGE_LABEL", "seed=2");
    const auto sweep = expand_text("name: div\nbase: {model: {preset: tiny}}\nseeds: 2\n");
    RunnerOptions options = fake_options(dir);
    CHECK(run_sweep(sweep, options) == 1);
    const std::string tdir = trial_dir(options, sweep, sweep.trials[1]);
    CHECK(read_trial_record(tdir).status == TrialStatus::diverged);
    CHECK(read_json(tdir + "/runner.json")["exit_code"] == 3);
    CHECK(read_json(tdir + "/result.json")["status"] == "diverged");
    CHECK(read_trial_record(trial_dir(options, sweep, sweep.trials[0])).status == TrialStatus::completed);
}

TEST_CASE("a runner killed with SIGKILL mid-sweep and started again finishes every trial exactly once", "[runner][resume]") {
    TempDir dir;
    FakeTrainerEnv env(dir, 8, "0.03");
    write_text(dir / "sweep.yaml", kSweep);
    const auto sweep = expand_sweep(load_sweep(dir / "sweep.yaml"));
    RunnerOptions options = fake_options(dir);

    const pid_t runner = fork_sweep_command(dir, dir / "sweep.yaml", dir / "runner1.log");
    // Kill once one trial has finished and another is at least 2 steps (checkpoints) in, and at
    // least 3 steps from its end: closer, a loaded machine may let it finish before the
    // runner's death reaches it (then it rightly completes in its first attempt).
    std::string interrupted;
    const bool in_the_middle = wait_until([&] {
        const auto done = completions(dir / "completions");
        if (done.empty()) return false;
        for (const auto& trial : sweep.trials) {
            const std::string tdir = trial_dir(options, sweep, trial);
            if (!done.count(trial.id) && progress_of(tdir) >= 2 && progress_of(tdir) <= 5) {
                interrupted = trial.id;
                return true;
            }
        }
        return false;
    });
    REQUIRE(in_the_middle);
    ::kill(runner, SIGKILL);
    CHECK(wait_exit_code(runner) == 128 + SIGKILL);
    CHECK(completions(dir / "completions").size() < sweep.trials.size());

    REQUIRE(run_sweep(sweep, options) == 0);
    check_every_trial_completed_once(sweep, options, dir);
    // The interrupted trial continued from its checkpoint instead of starting over.
    const std::string log = read_text(dir.path() + "/runs/fake/" + interrupted + "/train.log");
    std::smatch resumed;
    INFO("train.log of " << interrupted << ":\n" << log);
    REQUIRE(std::regex_search(log, resumed, std::regex("start at step ([1-9][0-9]*)")));
    CHECK(std::stoi(resumed[1]) >= 2);
}

TEST_CASE("SIGINT stops the runner: children get SIGTERM, checkpoint, and the sweep resumes later", "[runner][resume]") {
    TempDir dir;
    FakeTrainerEnv env(dir, 8, "0.03");
    write_text(dir / "sweep.yaml", kSweep);
    const auto sweep = expand_sweep(load_sweep(dir / "sweep.yaml"));
    RunnerOptions options = fake_options(dir);

    const pid_t runner = fork_sweep_command(dir, dir / "sweep.yaml", dir / "runner.log");
    const std::string first = trial_dir(options, sweep, sweep.trials[0]);
    REQUIRE(wait_until([&] { return progress_of(first) >= 2; }));
    ::kill(runner, SIGINT);
    CHECK(wait_exit_code(runner) == 130);
    const auto runner_json = read_json(first + "/runner.json");
    CHECK(runner_json["status"] == "interrupted");
    CHECK(runner_json["exit_code"] == 143);
    CHECK(read_trial_record(first).status == TrialStatus::interrupted);
    CHECK_THAT(read_text(dir / "runner.log"), Catch::Contains("stopping: sending SIGTERM"));

    // --status reads the same from the files alone, and starts nothing.
    CHECK(run_sweep_command(dir / "status.log", {dir / "sweep.yaml", "--status", "--out", dir / "runs"}) == 0);
    const std::string report = read_text(dir / "status.log");
    CHECK_THAT(report, Catch::Contains("| " + sweep.trials[0].id + " | variant=baseline seed=1 | interrupted |"));
    CHECK_THAT(report, Catch::Contains(" 0 running, 0 failed, 6 pending") || Catch::Contains(" 0 running, 0 failed, 5 pending"));

    REQUIRE(run_sweep(sweep, options) == 0);
    check_every_trial_completed_once(sweep, options, dir);
    CHECK(read_json(first + "/runner.json")["attempts"] == 2);
}

TEST_CASE("a trial locked by another runner is not run until the lock is free", "[runner][lock]") {
    TempDir dir;
    FakeTrainerEnv env(dir);
    write_text(dir / "sweep.yaml", kSweep);
    const auto sweep = expand_sweep(load_sweep(dir / "sweep.yaml"));
    RunnerOptions options = fake_options(dir);
    const std::string held_dir = trial_dir(options, sweep, sweep.trials[0]);
    std::filesystem::create_directories(held_dir);
    TrialLock lock = TrialLock::try_acquire(held_dir);
    REQUIRE(lock.held());
    CHECK(read_trial_record(held_dir).status == TrialStatus::running);

    const pid_t runner = fork_sweep_command(dir, dir / "sweep.yaml", dir / "runner.log");
    REQUIRE(wait_until([&] { return completions(dir / "completions").size() == sweep.trials.size() - 1; }));
    CHECK_FALSE(std::filesystem::exists(held_dir + "/train.log"));
    CHECK(completions(dir / "completions").count(sweep.trials[0].id) == 0);
    lock.release();
    CHECK(wait_exit_code(runner) == 0);
    check_every_trial_completed_once(sweep, options, dir);
}

TEST_CASE("two runners on one sweep share the trials and run each exactly once", "[runner][lock]") {
    TempDir dir;
    FakeTrainerEnv env(dir, 4, "0.03");
    write_text(dir / "sweep.yaml", kSweep);
    const auto sweep = expand_sweep(load_sweep(dir / "sweep.yaml"));
    const pid_t a = fork_sweep_command(dir, dir / "sweep.yaml", dir / "a.log", 2);
    const pid_t b = fork_sweep_command(dir, dir / "sweep.yaml", dir / "b.log", 2);
    CHECK(wait_exit_code(a) == 0);
    CHECK(wait_exit_code(b) == 0);
    const RunnerOptions options = fake_options(dir);
    check_every_trial_completed_once(sweep, options, dir);
    for (const auto& trial : sweep.trials)
        CHECK(read_json(trial_dir(options, sweep, trial) + "/runner.json")["attempts"] == 1);
}

TEST_CASE("a trainer that cannot be started is a failed trial with the reason in its log", "[runner]") {
    TempDir dir;
    FakeTrainerEnv env(dir);
    const auto sweep = expand_text("name: nox\nbase: {model: {preset: tiny}}\n");
    RunnerOptions options = fake_options(dir);
    options.trainer_command = {dir / "no-such-trainer"};
    CHECK(run_sweep(sweep, options) == 1);
    const std::string tdir = trial_dir(options, sweep, sweep.trials[0]);
    CHECK(read_json(tdir + "/runner.json")["exit_code"] == 127);
    CHECK_THAT(read_text(tdir + "/train.log"), Catch::Contains("cannot run"));
    CHECK(read_trial_record(tdir).status == TrialStatus::failed);
}

TEST_CASE("trial records come from result.json, runner.json and the lock", "[status]") {
    TempDir dir;
    const std::string t = dir / "trial";
    std::filesystem::create_directories(t);
    CHECK(read_trial_record(t).status == TrialStatus::pending);

    write_text(t + "/result.json", R"({"schema_version":1,"trial_id":"t","status":"running"})");
    CHECK(read_trial_record(t).status == TrialStatus::interrupted);
    {
        TrialLock lock = TrialLock::try_acquire(t);
        CHECK(read_trial_record(t).status == TrialStatus::running);
        CHECK_FALSE(TrialLock::try_acquire(t).held());
    }
    write_text(t + "/result.json", completed_result("t", "s", {}).dump());
    write_text(t + "/runner.json", R"({"status":"completed","exit_code":0,"attempts":2})");
    const TrialRecord r = read_trial_record(t);
    CHECK(r.status == TrialStatus::completed);
    CHECK(r.eval_loss == Approx(3.25));
    CHECK(r.token_accuracy == Approx(0.4));
    CHECK(r.train_tokens_per_s == Approx(1234.5));
    CHECK(r.wall_time_s == Approx(60));
    CHECK(r.steps_done == 100);
    CHECK(r.attempts == 2);
    CHECK(r.exit_code == 0);

    write_text(t + "/result.json", R"({"schema_version":1,"trial_id":"t","status":"failed","quality":{"eval_loss":null}})");
    CHECK_FALSE(read_trial_record(t).eval_loss.has_value());
    write_text(t + "/result.json", "{not json");
    CHECK(read_trial_record(t).status == TrialStatus::invalid);  // there, but not a result: never taken for pending
    CHECK_THAT(read_trial_record(t).message, Catch::StartsWith(t + "/result.json: not valid JSON (parse error at line 1"));
}

TEST_CASE("progress counts and the summary table", "[report]") {
    std::vector<TrialRecord> records(5);
    records[0].status = TrialStatus::completed;
    records[0].eval_loss = 4.5;
    records[0].token_accuracy = 0.25;
    records[0].train_tokens_per_s = 7500;
    records[1].status = TrialStatus::failed;
    records[2].status = TrialStatus::diverged;
    records[3].status = TrialStatus::running;
    records[4].status = TrialStatus::interrupted;
    const ProgressCounts c = count_statuses(records);
    CHECK(c.completed == 1);
    CHECK(c.failed == 2);
    CHECK(c.running == 1);
    CHECK(c.pending == 1);
    CHECK(progress_line("q", c, 125) == "[q] 1/5 done, 1 running, 2 failed, 1 pending, ETA 2m05s");
    CHECK(progress_line("q", c, -1) == "[q] 1/5 done, 1 running, 2 failed, 1 pending, ETA unknown");
    ProgressCounts all_settled;  // nothing running or pending: no ETA at all
    all_settled.completed = 4, all_settled.failed = 1;
    CHECK(progress_line("q", all_settled, -1) == "[q] 4/5 done, 0 running, 1 failed, 0 pending");

    const auto sweep = expand_text("name: q\nbase: {model: {preset: tiny}}\nseeds: 5\n");
    std::FILE* out = std::tmpfile();
    print_summary_table(out, sweep, records);
    std::rewind(out);
    std::string text(4096, '\0');
    text.resize(std::fread(text.data(), 1, text.size(), out));
    std::fclose(out);
    CHECK_THAT(text, Catch::Contains("| " + sweep.trials[0].id + " | seed=1 | completed   | 4.5000    | 25.00        | 7500     |"));
    CHECK_THAT(text, Catch::Contains("| diverged "));
    CHECK(count_occurrences(text, "\n") == 7);  // header, rule, 5 rows
}

TEST_CASE("a folder holding another run's result is never adopted nor overwritten", "[runner][foreign]") {
    TempDir dir;
    FakeTrainerEnv env(dir);
    const auto sweep = expand_text(kSweep);
    RunnerOptions options = fake_options(dir);
    // A standalone `altup train` result (no sweep, no labels) sitting where the
    // baseline seed-1 trial belongs, as an old default run folder could.
    const Trial& occupied = sweep.trials[0];
    const std::string tdir = dir.path() + "/runs/fake/" + occupied.id;
    const std::string standalone = completed_result(occupied.id, "", {}).dump();
    write_text(tdir + "/result.json", standalone);
    const TrialOwner owner = owner_of(sweep, occupied);
    CHECK(read_trial_record(tdir, &owner).status == TrialStatus::foreign);
    CHECK(read_trial_record(tdir).status == TrialStatus::completed);  // without an owner it would count as done

    REQUIRE(run_sweep(sweep, options) == 1);  // the sweep is not complete: that trial never ran
    CHECK(read_text(tdir + "/result.json") == standalone);  // byte for byte untouched
    const auto done = completions(dir / "completions");
    CHECK(done.count(occupied.id) == 0);
    CHECK(done.size() == sweep.trials.size() - 1);
    const TrialRecord record = read_trial_record(tdir, &owner);
    CHECK_THAT(record.message, Catch::Contains("standalone `altup train` run"));
    CHECK_THAT(record.message, Catch::Contains("move the folder away"));

    // A trial of another sweep (or with other labels) is foreign too.
    write_text(tdir + "/result.json", completed_result(occupied.id, "other", {}).dump());
    CHECK(read_trial_record(tdir, &owner).status == TrialStatus::foreign);
    nlohmann::json other_labels = completed_result(occupied.id, "fake", {{"variant", "altup-k2"}, {"seed", "1"}});
    write_text(tdir + "/result.json", other_labels.dump());
    CHECK(read_trial_record(tdir, &owner).status == TrialStatus::foreign);
    other_labels["labels"] = occupied.labels;
    write_text(tdir + "/result.json", other_labels.dump());
    CHECK(read_trial_record(tdir, &owner).status == TrialStatus::completed);  // its own
}

TEST_CASE("standalone runs and sweep trials of one name live in different folders", "[runner][foreign]") {
    // `altup train` with name quickstart and the sweep named quickstart, same trial id.
    CHECK(standalone_run_dir("runs", "quickstart", "fb7837d9dd5f") == "runs/standalone/quickstart/fb7837d9dd5f");
    RunnerOptions options;
    options.out_dir = "runs";
    SweepExpansion sweep;
    sweep.spec.name = "quickstart";
    Trial trial;
    trial.id = "fb7837d9dd5f";
    CHECK(trial_dir(options, sweep, trial) == "runs/quickstart/fb7837d9dd5f");
}

namespace {
// The result.json fake_trainer.sh writes when it completes `steps` steps, spelled out.
std::string fake_completed_result(const Trial& trial, const std::string& sweep, int steps) {
    std::string labels;
    for (const auto& [key, value] : ordered_labels(trial.labels)) labels += (labels.empty() ? "" : ",") + fmt::format(R"("{}":"{}")", key, value);
    return R"({"schema_version":1,"trial_id":")" + trial.id + R"(","name":"fake","sweep":")" + sweep + R"(","labels":{)" + labels +
           R"(},"status":"completed","message":"","config":{},"params":null,"quality":{"eval_loss":2.5,"perplexity":12.18,"token_accuracy":0.25},"speed":{"train_tokens_per_s":1000.0,"ms_per_step":{"median":4.0},"eval_tokens_per_s":3000.0},"train":{"steps_done":)" +
           std::to_string(steps) + R"(,"wall_time_s":0.5}})" + "\n";
}
}  // namespace

TEST_CASE("a trainer killed or failing after writing its completed result keeps it, byte for byte", "[runner][fault]") {
    const std::string how = GENERATE(std::string("FAKE_KILL_AFTER_RESULT=1"), std::string("FAKE_EXIT_AFTER_RESULT=1"));
    INFO(how);
    TempDir dir;
    FakeTrainerEnv env(dir);
    env.set(how.substr(0, how.find('=')), how.substr(how.find('=') + 1));
    const auto sweep = expand_text("name: dying\nbase: {model: {preset: tiny}}\nseeds: 2\n");
    RunnerOptions options = fake_options(dir);
    CHECK(run_sweep(sweep, options) == 0);  // every trial completed
    check_every_trial_completed_once(sweep, options, dir);
    const int exit_code = how == "FAKE_KILL_AFTER_RESULT=1" ? 128 + SIGKILL : 1;
    for (const auto& trial : sweep.trials) {
        const std::string tdir = trial_dir(options, sweep, trial);
        CHECK(read_text(tdir + "/result.json") == fake_completed_result(trial, "dying", 4));
        const auto runner = read_json(tdir + "/runner.json");
        CHECK(runner["status"] == "completed");
        CHECK(runner["exit_code"] == exit_code);
        CHECK_THAT(runner["note"].get<std::string>(),
                   Catch::Contains(fmt::format("completed result.json, then exited with code {}", exit_code)) &&
                       Catch::Contains("the result is kept"));
        CHECK_FALSE(runner.contains("message"));
        CHECK_THAT(runner["log_tail"].back().get<std::string>(), Catch::Contains("fake trainer: completed"));
    }
    // Completed means done: the next run starts nothing.
    CHECK(run_sweep(sweep, options) == 0);
    check_every_trial_completed_once(sweep, options, dir);
}

TEST_CASE("a diverged result survives a trainer killed after writing it", "[runner][fault]") {
    TempDir dir;
    FakeTrainerEnv env(dir);
    env.set("FAKE_DIVERGE_LABEL", "seed=1");
    env.set("FAKE_KILL_AFTER_RESULT", "1");
    const auto sweep = expand_text("name: divkill\nbase: {model: {preset: tiny}}\n");
    RunnerOptions options = fake_options(dir);
    CHECK(run_sweep(sweep, options) == 1);
    const std::string tdir = trial_dir(options, sweep, sweep.trials[0]);
    CHECK(read_json(tdir + "/result.json")["status"] == "diverged");
    CHECK(read_json(tdir + "/result.json")["train"]["steps_done"] == 4);  // the fake's own file, not a failure record
    CHECK(read_json(tdir + "/runner.json")["status"] == "diverged");
    CHECK(read_trial_record(tdir).status == TrialStatus::diverged);
}

TEST_CASE("a runner SIGKILLed mid-trial numbers the next attempt on", "[runner][fault][resume]") {
    TempDir dir;
    FakeTrainerEnv env(dir, 8, "0.05");
    write_text(dir / "sweep.yaml", "name: again\nbase: {model: {preset: tiny}}\n");
    const auto sweep = expand_sweep(load_sweep(dir / "sweep.yaml"));
    RunnerOptions options = fake_options(dir);
    const std::string tdir = trial_dir(options, sweep, sweep.trials[0]);

    const pid_t runner = fork_sweep_command(dir, dir / "sweep.yaml", dir / "runner.log");
    REQUIRE(wait_until([&] { return progress_of(tdir) >= 2; }));
    ::kill(runner, SIGKILL);  // runner.json is never written for attempt 1
    CHECK(wait_exit_code(runner) == 128 + SIGKILL);
    CHECK_FALSE(std::filesystem::exists(tdir + "/runner.json"));

    std::FILE* progress = std::fopen((dir / "runner2.log").c_str(), "w");
    REQUIRE(progress);
    options.progress = progress;
    const int rc = run_sweep(sweep, options);  // waits for the orphaned trainer's lock, then resumes
    std::fclose(progress);
    REQUIRE(rc == 0);
    CHECK_THAT(read_text(dir / "runner2.log"), Catch::Contains("started     " + sweep.trials[0].id + " seed=1 (resuming)"));
    const std::string log = read_text(tdir + "/train.log");
    CHECK(count_occurrences(log, "=== altup sweep: attempt ") == 2);
    CHECK_THAT(log, Catch::Contains("=== altup sweep: attempt 1 at "));
    CHECK_THAT(log, Catch::Contains("=== altup sweep: attempt 2 at "));
    CHECK(read_json(tdir + "/runner.json")["attempts"] == 2);
    CHECK(read_trial_record(tdir).attempts == 2);
}

TEST_CASE("temporaries of a killed atomic write are removed on the next start", "[runner][fault][temporaries]") {
    TempDir dir;
    FakeTrainerEnv env(dir);
    const auto sweep = expand_text("name: leftovers\nbase: {model: {preset: tiny}}\nseeds: 2\n");
    RunnerOptions options = fake_options(dir);
    const std::string sweep_dir = dir / "runs/leftovers";
    const std::string tdir = trial_dir(options, sweep, sweep.trials[0]);
    std::filesystem::create_directories(tdir);

    // A writer killed between writing its temporary and renaming it into place.
    auto killed_write = [&](const std::string& path) {
        const pid_t writer = fork_process(dir / "writer.log", [&] {
            write_file_atomically(path, [](std::ostream& out) {
                out << "half a checkpoint";
                out.flush();
                ::raise(SIGKILL);
            });
            return 0;
        });
        CHECK(wait_exit_code(writer) == 128 + SIGKILL);
        return temporary_path_for(path).substr(0, temporary_path_for(path).rfind('.') + 1) + std::to_string(writer);
    };
    const std::string trial_tmp = killed_write(tdir + "/ckpt.safetensors");
    const std::string sweep_tmp = killed_write(sweep_dir + "/sweep.json");
    REQUIRE(std::filesystem::exists(trial_tmp));
    REQUIRE(std::filesystem::exists(sweep_tmp));
    CHECK_FALSE(std::filesystem::exists(tdir + "/ckpt.safetensors"));  // the rename never happened
    CHECK(read_text(trial_tmp) == "half a checkpoint");

    CHECK(run_sweep(sweep, options) == 0);
    check_every_trial_completed_once(sweep, options, dir);
    CHECK_FALSE(std::filesystem::exists(trial_tmp));
    CHECK_FALSE(std::filesystem::exists(sweep_tmp));

    // A completed trial's folder is cleaned too, though nothing runs in it again.
    const std::string done_result = trial_dir(options, sweep, sweep.trials[1]) + "/result.json";
    const std::string completed = read_text(done_result);
    const std::string done_tmp = killed_write(done_result);
    REQUIRE(std::filesystem::exists(done_tmp));
    CHECK(run_sweep(sweep, options) == 0);
    CHECK_FALSE(std::filesystem::exists(done_tmp));
    CHECK(read_text(done_result) == completed);
    check_every_trial_completed_once(sweep, options, dir);
}
