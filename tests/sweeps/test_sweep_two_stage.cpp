// Two-stage sweeps (docs/sweeps.md): fine-tune trials with finetune.from:
// pretrain depend on the sweep's pretraining trial of the same config; the
// runner and the Slurm launcher start them only after it has completed.
#include <catch2/catch.hpp>

#include <algorithm>

#include <stdlib.h>

#include <optional>

#include "sweep_test_support.hpp"
#include "sweeps/slurm_launcher.hpp"
#include "sweeps/sweep_report.hpp"
#include "sweeps/sweep_runner.hpp"
#include "sweeps/trial_state.hpp"

using namespace altup;
using namespace sweep_test;

namespace {

// 2 variants x finetune.task [pos, none, genre] x 1 seed: the fine-tune trials
// come before their pretraining trial in trial order, so a runner that ignored
// the dependency would start them first.
const std::string kTwoStage =
    "name: two\n"
    "base: {model: {preset: tiny}, train: {steps: 10}}\n"
    "set: {finetune.from: pretrain, finetune.steps: 20}\n"
    "variants: {baseline: {}, altup-k2: {model.altup.k: 2}}\n"
    "grid: {finetune.task: [pos, none, genre]}\n";

const Trial& find_trial(const SweepExpansion& e, const std::map<std::string, std::string>& labels) {
    for (const auto& t : e.trials) {
        bool all = true;
        for (const auto& [k, v] : labels) all = all && t.labels.count(k) && t.labels.at(k) == v;
        if (all) return t;
    }
    FAIL("no trial with labels " << labels_text(labels));
    throw std::logic_error("unreachable");
}

std::string expansion_error(const std::string& text) {
    try {
        expand_text(text);
    } catch (const SweepError& e) {
        return e.what();
    }
    return "(no error)";
}

// The table row of the trial with this id.
std::string row_of(const std::string& table, const std::string& id) {
    std::istringstream in(table);
    for (std::string line; std::getline(in, line);)
        if (line.rfind("| " + id + " |", 0) == 0) return line;
    return "(no row for " + id + ")";
}

std::string printed(const std::function<void(std::FILE*)>& print) {
    std::FILE* out = std::tmpfile();
    print(out);
    std::rewind(out);
    std::string text(1 << 16, '\0');
    text.resize(std::fread(text.data(), 1, text.size(), out));
    std::fclose(out);
    return text;
}

class EnvScope {
public:
    void set(const std::string& name, const std::string& value) {
        if (!saved_.count(name)) {
            const char* old = std::getenv(name.c_str());
            saved_[name] = old ? std::optional<std::string>(old) : std::nullopt;
        }
        ::setenv(name.c_str(), value.c_str(), 1);
    }
    ~EnvScope() {
        for (const auto& [name, value] : saved_) {
            if (value) ::setenv(name.c_str(), value->c_str(), 1);
            else ::unsetenv(name.c_str());
        }
    }

private:
    std::map<std::string, std::optional<std::string>> saved_;
};

struct FakeEnv : EnvScope {
    explicit FakeEnv(const TempDir& dir) {
        set("FAKE_COMPLETIONS", dir / "completions");
        set("FAKE_EVENTS", dir / "events");
        set("FAKE_STEPS", "4");
        set("FAKE_STEP_SLEEP", "0.05");
        set("FAKE_FAIL_LABEL", "");
        set("FAKE_DIVERGE_LABEL", "");
    }
};

// The shared fake-trainer options (sweep_test_support.hpp), one thread per trial.
RunnerOptions one_thread_options(const TempDir& dir, int jobs = 2) {
    RunnerOptions options = sweep_test::fake_options(dir, jobs);
    options.threads = 1;
    return options;
}

// The fake trainer's event file: ("start"|"finish", trial id, pretrained folder) in order.
struct Event {
    std::string kind, trial, pretrained;
};
std::vector<Event> events(const std::string& path) {
    std::vector<Event> out;
    std::istringstream in(read_text(path));
    for (std::string kind, trial; in >> kind >> trial;) {
        Event e{kind, trial, ""};
        if (kind == "start") {
            std::string rest;
            in >> std::ws;
            std::getline(in, rest);
            e.pretrained = rest.substr(std::string("pretrained=").size());
        }
        out.push_back(e);
    }
    return out;
}

// Position of the first event of this kind for this trial, or -1.
int position(const std::vector<Event>& ev, const std::string& kind, const std::string& trial) {
    for (size_t i = 0; i < ev.size(); ++i)
        if (ev[i].kind == kind && ev[i].trial == trial) return static_cast<int>(i);
    return -1;
}

std::string abs_dir(const RunnerOptions& options, const SweepExpansion& sweep, const Trial& trial) {
    return std::filesystem::absolute(trial_dir(options, sweep, trial)).lexically_normal().string();
}

}  // namespace

TEST_CASE("a fine-tune trial depends on the pretraining trial with the same config and task none", "[two-stage][expansion]") {
    const auto e = expand_text(kTwoStage + "seeds: 2\n");
    REQUIRE(e.trials.size() == 12);
    for (const auto& t : e.trials) {
        INFO(labels_text(t.labels));
        if (t.labels.at("finetune.task") == "none") {
            CHECK(t.depends_on.empty());
            continue;
        }
        const Trial& pre = find_trial(e, {{"variant", t.labels.at("variant")}, {"finetune.task", "none"}, {"seed", t.labels.at("seed")}});
        CHECK(t.depends_on == pre.id);
        CHECK(t.depends_on != t.id);
    }
    // The pretraining trial's id ignores its unused finetune keys: it is the plain pretraining config.
    const auto plain = expand_text("name: two\nbase: {model: {preset: tiny}, train: {steps: 10}}\n"
                                   "variants: {baseline: {}, altup-k2: {model.altup.k: 2}}\nseeds: 2\n");
    CHECK(find_trial(e, {{"variant", "altup-k2"}, {"finetune.task", "none"}, {"seed", "2"}}).id ==
          find_trial(plain, {{"variant", "altup-k2"}, {"seed", "2"}}).id);
    CHECK(pretraining_trial_id(find_trial(e, {{"variant", "baseline"}, {"finetune.task", "genre"}, {"seed", "1"}}).config) ==
          find_trial(plain, {{"variant", "baseline"}, {"seed", "1"}}).id);
}

TEST_CASE("altup sweep --only: the matching trials and the pretraining trials they need", "[two-stage][expansion]") {
    auto e = expand_text(kTwoStage + "seeds: 2\n");
    REQUIRE(e.trials.size() == 12);
    const std::vector<std::string> order = [&] {
        std::vector<std::string> ids;
        for (const auto& t : e.trials) ids.push_back(t.id);
        return ids;
    }();
    auto picked = e;
    select_trials(picked, {{"finetune.task", "genre"}, {"seed", "2"}});
    // 2 variants x genre x seed 2, and their 2 pretraining trials (task none, seed 2).
    REQUIRE(picked.trials.size() == 4);
    std::set<std::string> ids;
    for (const auto& t : picked.trials) {
        CHECK(t.labels.at("seed") == "2");
        ids.insert(t.id);
    }
    for (const auto& t : picked.trials)
        if (!t.depends_on.empty()) CHECK(ids.count(t.depends_on) == 1);
    size_t last = 0;  // sweep order is kept
    for (const auto& t : picked.trials) {
        const size_t at = size_t(std::find(order.begin(), order.end(), t.id) - order.begin());
        CHECK(at >= last);
        last = at;
    }
    auto none = e;
    select_trials(none, {});
    CHECK(none.trials.size() == 12);
    auto bad_key = e;
    CHECK_THROWS_WITH(select_trials(bad_key, {{"model.preset", "tiny"}}), Catch::Contains("no trial of sweep") && Catch::Contains("has the label 'model.preset'"));
    auto no_match = e;
    CHECK_THROWS_WITH(select_trials(no_match, {{"seed", "7"}}), Catch::Contains("seed=7: no trial of sweep"));
}

TEST_CASE("finetune.from other than pretrain is outside the sweep: no dependency", "[two-stage][expansion]") {
    const auto e = expand_text("name: ext\nbase: {model: {preset: tiny}}\n"
                               "set: {finetune.from: runs/other/3f9a1c0d2b7e}\ngrid: {finetune.task: [pos, genre]}\n");
    REQUIRE(e.trials.size() == 2);
    for (const auto& t : e.trials) CHECK(t.depends_on.empty());
}

TEST_CASE("a fine-tune trial without its pretraining trial in the sweep is an error that says how to add it",
          "[two-stage][expansion][errors]") {
    const std::string only_finetune = "name: ft\nbase: {model: {preset: tiny}}\nset: {finetune.from: pretrain}\n"
                                      "variants: {baseline: {}, altup-k2: {model.altup.k: 2}}\ngrid: {finetune.task: [pos]}\n";
    const std::string message = expansion_error(only_finetune);
    CHECK_THAT(message, Catch::StartsWith("sweep.yaml: trial 'variant=baseline finetune.task=pos seed=1'"));
    CHECK_THAT(message, Catch::Contains("finetune.from: pretrain"));
    CHECK_THAT(message, Catch::Contains("no pretraining trial"));
    CHECK_THAT(message, Catch::Contains("labels variant=baseline finetune.task=none seed=1"));
    CHECK_THAT(message, Catch::Contains("add none to finetune.task"));
    const auto plain = expand_text("name: ft\nbase: {model: {preset: tiny}}\n");
    CHECK_THAT(message, Catch::Contains("(id " + plain.trials[0].id));

    // Excluding one pretraining trial leaves its fine-tune trials without one.
    const std::string excluded = expansion_error(kTwoStage + "exclude: [{variant: altup-k2, finetune.task: none}]\n");
    CHECK_THAT(excluded, Catch::StartsWith("sweep.yaml: trial 'variant=altup-k2 finetune.task=pos seed=1'"));
    CHECK_THAT(excluded, Catch::Contains("add none to finetune.task"));
}

TEST_CASE("the dry-run table shows after which trial a fine-tune trial runs", "[two-stage][report]") {
    const auto e = expand_text(kTwoStage);
    const std::string table = printed([&](std::FILE* out) { print_trial_table(out, e); });
    CHECK_THAT(table, Catch::Contains("| after "));
    const Trial& pos = find_trial(e, {{"variant", "altup-k2"}, {"finetune.task", "pos"}});
    const Trial& pre = find_trial(e, {{"variant", "altup-k2"}, {"finetune.task", "none"}});
    CHECK_THAT(row_of(table, pos.id), Catch::Contains("| variant=altup-k2 finetune.task=pos seed=1 ") && Catch::EndsWith("| " + pre.id + " |"));
    CHECK_THAT(row_of(table, pre.id), Catch::EndsWith("| -            |"));
    CHECK_THAT(table, Catch::Contains("6 trials in sweep 'two'; 4 fine-tune trials run after the pretraining trial named in 'after'"));
    // A sweep without fine-tune trials keeps its table as it was.
    const std::string plain = printed([&](std::FILE* out) { print_trial_table(out, expand_text("name: p\nbase: {model: {preset: tiny}}\n")); });
    CHECK_THAT(plain, !Catch::Contains("after"));
}

TEST_CASE("the status table calls a fine-tune trial waiting while its pretraining trial has not completed", "[two-stage][report]") {
    const auto e = expand_text(kTwoStage);
    std::vector<TrialRecord> records(e.trials.size());
    const size_t pre = trial_index(e, find_trial(e, {{"variant", "baseline"}, {"finetune.task", "none"}}).id);
    const size_t pos = trial_index(e, find_trial(e, {{"variant", "baseline"}, {"finetune.task", "pos"}}).id);
    records[pre].status = TrialStatus::running;
    CHECK(is_waiting(e, records, pos));
    CHECK_FALSE(is_waiting(e, records, pre));
    ProgressCounts counts = count_statuses(e, records);
    CHECK(counts.waiting == 4);
    CHECK(counts.pending == 5);
    CHECK(progress_line("two", counts, -1) == "[two] 0/6 done, 1 running, 0 failed, 5 pending (4 waiting for pretraining), ETA unknown");
    const std::string table = printed([&](std::FILE* out) { print_summary_table(out, e, records); });
    CHECK_THAT(row_of(table, e.trials[pos].id), Catch::Contains("| waiting |"));
    CHECK_THAT(row_of(table, e.trials[pre].id), Catch::Contains("| running |"));

    records[pre].status = TrialStatus::completed;
    CHECK_FALSE(is_waiting(e, records, pos));
    CHECK(count_statuses(e, records).waiting == 2);
}

TEST_CASE("the runner starts a fine-tune trial only after its pretraining trial completed, with --pretrained its folder",
          "[two-stage][runner]") {
    TempDir dir;
    FakeEnv env(dir);
    const auto sweep = expand_text(kTwoStage);
    const RunnerOptions options = one_thread_options(dir, 2);
    REQUIRE(run_sweep(sweep, options) == 0);

    const auto ev = events(dir / "events");
    CHECK(ev.size() == 2 * sweep.trials.size());
    for (const auto& t : sweep.trials) {
        INFO("trial " << labels_text(t.labels) << "\nevents:\n" << read_text(dir / "events"));
        const int start = position(ev, "start", t.id);
        REQUIRE(start >= 0);
        CHECK(position(ev, "finish", t.id) > start);
        const auto runner = read_json(trial_dir(options, sweep, t) + "/runner.json");
        const auto command = runner["command"].get<std::vector<std::string>>();
        const auto flag = std::find(command.begin(), command.end(), "--pretrained");
        if (t.depends_on.empty()) {
            CHECK(ev[size_t(start)].pretrained.empty());
            CHECK(flag == command.end());
            continue;
        }
        const Trial& pre = sweep.trials[trial_index(sweep, t.depends_on)];
        const int pre_finish = position(ev, "finish", pre.id);
        REQUIRE(pre_finish >= 0);
        CHECK(pre_finish < start);
        CHECK(ev[size_t(start)].pretrained == abs_dir(options, sweep, pre));
        REQUIRE(flag != command.end());
        REQUIRE(flag + 1 != command.end());
        CHECK(*(flag + 1) == abs_dir(options, sweep, pre));
        CHECK(read_json(trial_dir(options, sweep, t) + "/result.json")["status"] == "completed");
    }
    // Two slots: the two pretraining trials ran side by side, the fine-tune trials after them.
    CHECK(ev[0].kind == "start");
    CHECK(ev[1].kind == "start");
    CHECK(ev[0].pretrained.empty());
    CHECK(ev[1].pretrained.empty());

    // Resume: a second run starts nothing.
    REQUIRE(run_sweep(sweep, options) == 0);
    CHECK(events(dir / "events").size() == ev.size());
}

TEST_CASE("a pretraining trial completed by an earlier run lets its fine-tune trials start at once", "[two-stage][runner][resume]") {
    TempDir dir;
    FakeEnv env(dir);
    const RunnerOptions options = one_thread_options(dir, 2);
    const auto first = expand_text("name: two\nbase: {model: {preset: tiny}, train: {steps: 10}}\n"
                                   "set: {finetune.from: pretrain, finetune.steps: 20}\n"
                                   "variants: {baseline: {}, altup-k2: {model.altup.k: 2}}\ngrid: {finetune.task: [none]}\n");
    REQUIRE(run_sweep(first, options) == 0);
    CHECK(events(dir / "events").size() == 4);

    const auto sweep = expand_text(kTwoStage);
    REQUIRE(run_sweep(sweep, options) == 0);
    const auto ev = events(dir / "events");
    CHECK(ev.size() == 4 + 8);  // only the four fine-tune trials ran
    for (const auto& t : sweep.trials) {
        if (t.depends_on.empty()) continue;
        const int start = position(ev, "start", t.id);
        REQUIRE(start >= 4);
        CHECK(ev[size_t(start)].pretrained == abs_dir(options, sweep, sweep.trials[trial_index(sweep, t.depends_on)]));
    }
}

TEST_CASE("a failed or diverged pretraining trial: its fine-tune trials are recorded failed without being started, "
          "and --retry-failed runs them after it",
          "[two-stage][runner]") {
    TempDir dir;
    FakeEnv env(dir);
    env.set("FAKE_FAIL_LABEL", "variant=altup-k2");
    env.set("FAKE_DIVERGE_LABEL", "variant=baseline");
    const auto sweep = expand_text(kTwoStage);
    RunnerOptions options = one_thread_options(dir, 2);
    CHECK(run_sweep(sweep, options) == 1);

    auto ev = events(dir / "events");
    CHECK(ev.size() == 2);  // the two pretraining trials started; nothing else did
    for (const auto& t : sweep.trials) {
        INFO("trial " << labels_text(t.labels));
        const std::string tdir = trial_dir(options, sweep, t);
        const auto result = read_json(tdir + "/result.json");
        if (t.depends_on.empty()) {
            CHECK(position(ev, "start", t.id) >= 0);
            CHECK(result["status"] == (t.labels.at("variant") == "baseline" ? "diverged" : "failed"));
            continue;
        }
        CHECK(position(ev, "start", t.id) == -1);
        const Trial& pre = sweep.trials[trial_index(sweep, t.depends_on)];
        const std::string how = t.labels.at("variant") == "baseline" ? "diverged" : "failed";
        CHECK(read_trial_record(tdir).status == TrialStatus::failed);
        CHECK(result["status"] == "failed");
        CHECK(result["trial_id"] == t.id);
        CHECK(result["labels"]["finetune.task"] == t.labels.at("finetune.task"));
        CHECK(result["message"] == "pretraining trial " + pre.id + " (" + labels_text(pre.labels) + ") " + how + "; not fine-tuned");
        CHECK(result["config"]["finetune"]["task"] == t.labels.at("finetune.task"));
        CHECK_FALSE(std::filesystem::exists(tdir + "/progress"));
        CHECK_THAT(read_text(tdir + "/train.log"), Catch::Contains("not started") && Catch::Contains("not fine-tuned"));
    }

    // Without --retry-failed nothing runs again.
    CHECK(run_sweep(sweep, options) == 1);
    CHECK(events(dir / "events").size() == 2);

    // Retrying: the pretraining trials run again, then their fine-tune trials.
    env.set("FAKE_FAIL_LABEL", "");
    env.set("FAKE_DIVERGE_LABEL", "");
    options.retry_failed = true;
    CHECK(run_sweep(sweep, options) == 0);
    ev = events(dir / "events");
    CHECK(ev.size() == 2 + 2 * sweep.trials.size());
    for (const auto& t : sweep.trials) {
        INFO("trial " << labels_text(t.labels));
        CHECK(read_json(trial_dir(options, sweep, t) + "/result.json")["status"] == "completed");
        if (t.depends_on.empty()) continue;
        const int start = position(ev, "start", t.id);
        REQUIRE(start >= 0);
        int pre_finish = -1;  // the retried pretraining trial's (only) finish
        for (size_t i = 0; i < ev.size(); ++i)
            if (ev[i].kind == "finish" && ev[i].trial == t.depends_on) pre_finish = static_cast<int>(i);
        CHECK(pre_finish >= 0);
        CHECK(pre_finish < start);
    }
}

TEST_CASE("Slurm: fine-tune trials go into a second array that depends on the first", "[two-stage][slurm]") {
    TempDir dir;
    const auto sweep = expand_text(kTwoStage);
    RunnerOptions options = one_thread_options(dir, 1);
    SlurmOptions slurm;
    slurm.dry_run = true;
    slurm.altup_binary = "/usr/bin/true";
    const SlurmSubmission sub = submit_slurm_array(sweep, options, slurm);
    REQUIRE(sub.arrays.size() == 2);
    CHECK(sub.trial_ids.size() == 6);
    CHECK(sub.arrays[0].trial_ids.size() == 2);
    CHECK(sub.arrays[1].trial_ids.size() == 4);
    CHECK_FALSE(sub.arrays[0].after_first);
    CHECK(sub.arrays[1].after_first);
    CHECK_THAT(sub.arrays[0].sbatch_command, !Catch::Contains("--dependency"));
    CHECK_THAT(sub.arrays[1].sbatch_command, Catch::Contains("--dependency=afterany:<first job id>"));
    CHECK_THAT(sub.arrays[1].script, Catch::Contains("--array=0-3"));
    CHECK_THAT(sub.arrays[1].script, Catch::Contains("--pretrained \"$pretrained\""));
    for (const auto& id : sub.arrays[0].trial_ids) CHECK(sweep.trials[trial_index(sweep, id)].depends_on.empty());
    // Each fine-tune task's line names its pretraining trial's folder and its not-fine-tuned result.
    CHECK_FALSE(std::filesystem::exists(options.out_dir));  // a dry run writes nothing
    const std::string list = sub.arrays[1].list;
    for (const auto& id : sub.arrays[1].trial_ids) {
        const Trial& t = sweep.trials[trial_index(sweep, id)];
        const std::string pre_dir = abs_dir(options, sweep, sweep.trials[trial_index(sweep, t.depends_on)]);
        CHECK_THAT(list, Catch::Contains("'" + abs_dir(options, sweep, t) + "' '" + pre_dir + "' '"));
    }

    // Once the pretraining trials completed, the fine-tune trials need no second array.
    for (const auto& t : sweep.trials)
        if (t.depends_on.empty()) write_text(trial_dir(options, sweep, t) + "/result.json", R"({"status":"completed"})");
    const SlurmSubmission later = submit_slurm_array(sweep, options, slurm);
    REQUIRE(later.arrays.size() == 1);
    CHECK(later.arrays[0].trial_ids.size() == 4);
    CHECK(later.arrays[0].list.find("'' ''") == std::string::npos);
}

TEST_CASE("the status table shows a fine-tune trial's own downstream accuracy and speed, not its pretraining numbers",
          "[two-stage][report]") {
    const auto e = expand_text(kTwoStage);
    std::vector<TrialRecord> records(e.trials.size());
    const size_t pre = trial_index(e, find_trial(e, {{"variant", "baseline"}, {"finetune.task", "none"}}).id);
    const size_t pos = trial_index(e, find_trial(e, {{"variant", "baseline"}, {"finetune.task", "pos"}}).id);
    for (size_t i : {pre, pos}) {
        records[i].status = TrialStatus::completed;
        records[i].eval_loss = 4.25;         // a fine-tune result carries its pretraining trial's quality ...
        records[i].token_accuracy = 0.1875;
        records[i].train_tokens_per_s = 5000;
    }
    records[pos].downstream_accuracy = 0.8125;  // ... and its own downstream section
    records[pos].downstream_tokens_per_s = 1234;
    const std::string table = printed([&](std::FILE* out) { print_summary_table(out, e, records); });
    CHECK_THAT(table, Catch::Contains("| downstream accuracy (%) |"));
    CHECK_THAT(row_of(table, e.trials[pre].id), Catch::Contains("| 4.2500 ") && Catch::Contains("| 18.75 ") && Catch::Contains("| 5000 "));
    const std::string ft = row_of(table, e.trials[pos].id);
    CHECK_THAT(ft, !Catch::Contains("4.2500") && !Catch::Contains("18.75") && !Catch::Contains("5000"));
    CHECK_THAT(ft, Catch::Contains("| 1234 ") && Catch::Contains("| 81.25 "));
}
