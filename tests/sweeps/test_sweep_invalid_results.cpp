// A trial folder whose result.json fails the schema check (util/result_file.hpp):
// `altup sweep --status` and the runner report it `invalid` with the file and the
// reason, never count it done nor run over it (its bytes stay), the sweep exits
// non-zero naming the fix, and analysis lists it with the same reason.
#include <catch2/catch.hpp>

#include "analysis/analyze_command.hpp"
#include "analysis/result_loader.hpp"
#include "sweep_test_support.hpp"
#include "sweeps/trial_state.hpp"
#include "tests/support/folder_snapshot.hpp"
#include "tests/support/result_faults.hpp"

using namespace altup;
using namespace sweep_test;
using altup_test::folder_snapshot;

namespace {

// `path: reason` as the messages spell it; a parser's reason goes on with its position.
std::string reason_text(const std::string& path, const altup_test::ResultFault& fault) { return path + ": " + fault.reason; }

int run_analyze_command(const std::string& log, std::vector<std::string> args) {
    args.insert(args.begin(), "analyze");
    return wait_exit_code(fork_process(log, [&] {
        std::vector<char*> argv;
        for (auto& a : args) argv.push_back(a.data());
        return analyze_command(static_cast<int>(argv.size()), argv.data());
    }));
}

}  // namespace

TEST_CASE("an invalid result.json is reported by --status, resume and analyze, kept byte for byte, never counted done",
          "[runner][fault][invalid]") {
    const auto faults = altup_test::result_faults();
    const size_t which = GENERATE(range(size_t(0), altup_test::result_faults().size()));
    const altup_test::ResultFault& fault = faults[which];
    INFO(fault.name);
    TempDir dir;
    FakeTrainerEnv env(dir);
    write_text(dir / "sweep.yaml", "name: faults\nbase: {model: {preset: tiny}}\nseeds: 2\n");
    const auto sweep = expand_sweep(load_sweep(dir / "sweep.yaml"));
    const RunnerOptions options = fake_options(dir);
    REQUIRE(run_sweep(sweep, options) == 0);  // both completed: their result files are the fake trainer's own
    const std::string broken_id = sweep.trials[0].id, good_id = sweep.trials[1].id;
    const std::string broken_dir = trial_dir(options, sweep, sweep.trials[0]), good_dir = trial_dir(options, sweep, sweep.trials[1]);
    const std::string path = broken_dir + "/result.json";
    write_text(path, fault.make(read_text(path)));
    const auto broken_before = folder_snapshot(broken_dir), good_before = folder_snapshot(good_dir);
    const std::string reason = reason_text(path, fault);
    const std::string fix = "move it away (or delete it) to re-run the trial";

    const TrialOwner owner = owner_of(sweep, sweep.trials[0]), good_owner = owner_of(sweep, sweep.trials[1]);
    const TrialRecord record = read_trial_record(broken_dir, &owner);
    CHECK(record.status == TrialStatus::invalid);
    CHECK_THAT(record.message, Catch::StartsWith(reason));
    CHECK_THAT(record.message, Catch::EndsWith(fix));
    CHECK(altup_test::is_printable(record.message));
    if (!fault.reason_is_prefix) CHECK(record.message == reason + ": left untouched; " + fix);
    CHECK(read_trial_record(good_dir, &good_owner).status == TrialStatus::completed);  // a valid completed file counts done

    // --status: the table says invalid, a line names the file, the reason and the fix; nothing runs.
    CHECK(run_sweep_command(dir / "status.log", {dir / "sweep.yaml", "--status", "--out", dir / "runs"}) == 0);
    const std::string status = read_text(dir / "status.log");
    CHECK_THAT(status, Catch::Contains("| " + broken_id + " | seed=1 | invalid "));
    CHECK_THAT(status, Catch::Contains("| " + good_id + " | seed=2 | completed "));
    CHECK_THAT(status, Catch::Contains("invalid " + broken_id + ": " + reason));
    CHECK_THAT(status, Catch::Contains(fix));
    CHECK_THAT(status, Catch::Contains("[faults] 1/2 done, 0 running, 1 failed, 0 pending"));

    // Resume: not run, not counted done, reported with the fix, exit 1, both folders byte for byte.
    CHECK(run_sweep_command(dir / "resume.log", {dir / "sweep.yaml", "--out", dir / "runs", "--trainer", "/bin/sh " + fake_trainer_path()}) == 1);
    const std::string resume = read_text(dir / "resume.log");
    CHECK_THAT(resume, Catch::Contains("1 already completed"));
    CHECK_THAT(resume, Catch::Contains("0 to run"));
    CHECK_THAT(resume, Catch::Contains("not run     " + broken_id + " (invalid): " + reason));
    CHECK_THAT(resume, Catch::Contains(fix));
    CHECK(folder_snapshot(broken_dir) == broken_before);
    CHECK(folder_snapshot(good_dir) == good_before);
    auto done = completions(dir / "completions");
    CHECK(done[broken_id] == 1);  // its first, real run only
    CHECK(done[good_id] == 1);

    // Analysis: listed with the path and the same reason, never counted as a trial.
    const LoadedResults loaded = load_results(dir / "runs");
    REQUIRE(loaded.trials.size() == 1);
    CHECK(loaded.trials[0].path == good_dir + "/result.json");
    REQUIRE(loaded.skipped.size() == 1);
    CHECK(loaded.skipped[0].path == path);
    CHECK(loaded.skipped[0].invalid);
    CHECK(loaded.invalid == 1);
    CHECK_THAT(path + ": " + loaded.skipped[0].reason, Catch::StartsWith(reason));
    CHECK(run_analyze_command(dir / "analyze.log", {dir / "runs"}) == 0);
    const std::string analyzed = read_text(dir / "analyze.log");
    CHECK_THAT(analyzed, Catch::Contains("skipped " + reason));                       // stderr, one line per file
    CHECK_THAT(analyzed, Catch::Contains("| " + path + " | " + fault.reason));        // the report's skipped table
    CHECK_THAT(analyzed, Catch::Contains("Skipped result files"));
    CHECK(folder_snapshot(broken_dir) == broken_before);

    // The fix the message names: with the file gone, the trial runs again and the sweep completes.
    std::filesystem::remove(path);
    CHECK(run_sweep(sweep, options) == 0);
    done = completions(dir / "completions");
    CHECK(done[broken_id] == 2);
    CHECK(done[good_id] == 1);
}

TEST_CASE("an invalid result.json a trainer leaves is kept, not replaced by a failed record", "[runner][fault][invalid]") {
    TempDir dir;
    FakeTrainerEnv env(dir);
    const std::string broken = R"({"schema_version":1,"trial_id":"x","status":"completed"})";  // no name, labels, config, ...
    env.set("FAKE_BROKEN_RESULT", broken);
    const auto sweep = expand_text("name: leaves\nbase: {model: {preset: tiny}}\nseeds: 1\n");
    const RunnerOptions options = fake_options(dir);
    CHECK(run_sweep(sweep, options) == 1);
    const std::string tdir = trial_dir(options, sweep, sweep.trials[0]);
    CHECK(read_text(tdir + "/result.json") == broken);  // byte for byte
    const TrialOwner owner = owner_of(sweep, sweep.trials[0]);
    const TrialRecord record = read_trial_record(tdir, &owner);
    CHECK(record.status == TrialStatus::invalid);
    CHECK(record.message == tdir + "/result.json: missing field 'name': left untouched; move it away (or delete it) to re-run the trial");
    CHECK_THAT(read_json(tdir + "/runner.json")["note"].get<std::string>(),
               Catch::Contains("the trainer left an invalid result.json (missing field 'name'); it is kept"));
}
