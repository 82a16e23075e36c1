// The pieces that keep finished results: how a trainer's exit is read against
// its result.json, the names of atomic-write temporaries (and which are stale),
// and Slurm task lists that two submissions never share.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <climits>
#include <filesystem>

#include "sweep_test_support.hpp"
#include "sweeps/slurm_launcher.hpp"
#include "sweeps/trial_outcome.hpp"
#include "util/atomic_file.hpp"

using namespace altup;
using namespace sweep_test;

namespace {
std::string host_name() {
    char name[HOST_NAME_MAX + 1] = {};
    ::gethostname(name, sizeof name - 1);
    return name;
}
}  // namespace

TEST_CASE("a final result the trainer wrote is kept whatever its exit code", "[outcome]") {
    struct Case {
        int exit_code;
        const char* reported;
        const char* status;
        bool writes_failure;
        const char* note;  // "" = none
    };
    const Case cases[] = {
        {0, "completed", "completed", false, ""},
        {137, "completed", "completed", false, "completed result.json, then exited with code 137 (killed by signal 9); the result is kept"},
        {1, "completed", "completed", false, "completed result.json, then exited with code 1;"},
        {143, "completed", "completed", false, "exited with code 143 (killed by signal 15)"},  // not "interrupted"
        {3, "diverged", "diverged", false, ""},
        {137, "diverged", "diverged", false, "diverged result.json, then exited with code 137"},
        {1, "failed", "failed", false, ""},   // the trainer's own failure record stays
        {0, "failed", "failed", false, "failed result.json, then exited with code 0"},
        {143, "running", "interrupted", false, ""},
        {130, "", "interrupted", false, ""},
        {0, "running", "failed", true, ""},
        {1, "running", "failed", true, ""},
        {137, "", "failed", true, ""},
    };
    for (const Case& c : cases) {
        INFO("exit " << c.exit_code << ", result.json says '" << c.reported << "'");
        const TrialOutcome o = decide_outcome(c.exit_code, c.reported, "last line");
        CHECK(o.status == c.status);
        CHECK(o.failure_message.empty() == !c.writes_failure);
        if (std::string(c.note).empty()) CHECK(o.note.empty());
        else CHECK_THAT(o.note, Catch::Contains(c.note));
    }
    CHECK(decide_outcome(0, "running", "").failure_message == "the trainer exited with 0 but result.json says 'running'");
    CHECK(decide_outcome(1, "", "boom").failure_message == "the trainer exited with code 1: boom");
    CHECK(decide_outcome(137, "", "").failure_message == "the trainer exited with code 137 (killed by signal 9)");
}

TEST_CASE("atomic-write temporaries name their host and pid", "[temporaries]") {
    const std::string tmp = temporary_path_for("/some/dir/ckpt.safetensors");
    CHECK(tmp == "/some/dir/ckpt.safetensors.tmp." + host_name() + "." + std::to_string(::getpid()));
    const auto mine = temporary_writer_of(std::filesystem::path(tmp).filename().string());
    REQUIRE(mine);
    CHECK(mine->target == "ckpt.safetensors");
    CHECK(mine->host == host_name());
    CHECK(mine->pid == ::getpid());

    const auto dotted = temporary_writer_of("result.json.tmp.node-1.example.org.1234");
    REQUIRE(dotted);
    CHECK(dotted->target == "result.json");
    CHECK(dotted->host == "node-1.example.org");
    CHECK(dotted->pid == 1234);
    const auto older = temporary_writer_of("runner.json.tmp.77");
    REQUIRE(older);
    CHECK(older->host.empty());
    CHECK(older->pid == 77);
    for (const char* other : {"result.json.tmp", "progress.tmp", "a.tmp.host.12x", ".tmp.5", "a.tmp..5", "notes.txt"}) {
        INFO(other);
        CHECK_FALSE(temporary_writer_of(other));
    }
}

TEST_CASE("only temporaries whose writer is gone are removed", "[temporaries]") {
    TempDir dir;
    const pid_t gone = fork_process(dir / "child.log", [] { return 0; });
    REQUIRE(wait_exit_code(gone) == 0);
    const std::string host = host_name();
    const std::string dead_here = dir / ("ckpt.safetensors.tmp." + host + "." + std::to_string(gone));
    const std::string dead_older = dir / ("result.json.tmp." + std::to_string(gone));
    const std::string alive_here = dir / ("runner.json.tmp." + host + "." + std::to_string(::getpid()));
    const std::string other_host = dir / ("config.yaml.tmp.not-" + host + "." + std::to_string(gone));
    const std::string not_ours = dir / "result.json.tmp";
    for (const auto& p : {dead_here, dead_older, alive_here, other_host, not_ours}) write_text(p, "partial");

    auto removed = remove_stale_temporaries(dir.path());
    std::sort(removed.begin(), removed.end());
    std::vector<std::string> expected = {dead_here, dead_older};
    std::sort(expected.begin(), expected.end());
    CHECK(removed == expected);
    CHECK_FALSE(std::filesystem::exists(dead_here));
    CHECK_FALSE(std::filesystem::exists(dead_older));
    CHECK(std::filesystem::exists(alive_here));
    CHECK(std::filesystem::exists(other_host));
    CHECK(std::filesystem::exists(not_ours));
    CHECK(remove_stale_temporaries(dir / "no-such-folder").empty());
}

TEST_CASE("a Slurm dry run composes the scripts and task lists and writes nothing", "[slurm]") {
    TempDir dir;
    const auto sweep = expand_text("name: dry\nbase: {model: {preset: tiny}}\nseeds: 3\n");
    RunnerOptions options;
    options.out_dir = dir / "runs";
    options.trainer_command = {"/bin/true"};
    SlurmOptions slurm;
    slurm.dry_run = true;
    const SlurmSubmission sub = submit_slurm_array(sweep, options, slurm);
    REQUIRE(sub.arrays.size() == 1);
    CHECK(std::count(sub.arrays[0].list.begin(), sub.arrays[0].list.end(), '\n') == 3);
    CHECK_THAT(sub.arrays[0].script, Catch::Contains("--array=0-2") && Catch::Contains(sub.arrays[0].list_path));
    CHECK(sub.arrays[0].job_id.empty());
    CHECK_FALSE(std::filesystem::exists(dir / "runs"));
}

TEST_CASE("two Slurm submissions of one sweep in the same second get their own task lists", "[slurm]") {
    TempDir dir;
    const auto sweep = expand_text("name: twice\nbase: {model: {preset: tiny}}\nseeds: 2\n");
    RunnerOptions options;
    options.out_dir = dir / "runs";
    options.trainer_command = {"/bin/true"};
    // A stand-in sbatch on PATH: the submission writes its files, then "submits".
    write_text(dir / "bin/sbatch", "#!/bin/sh\necho 4242\n");
    std::filesystem::permissions(dir / "bin/sbatch", std::filesystem::perms::owner_all);
    const std::string old_path = std::getenv("PATH") ? std::getenv("PATH") : "";
    ::setenv("PATH", (dir / "bin:" + old_path).c_str(), 1);
    SlurmOptions slurm;
    const SlurmSubmission first = submit_slurm_array(sweep, options, slurm);
    const SlurmSubmission second = submit_slurm_array(sweep, options, slurm);
    ::setenv("PATH", old_path.c_str(), 1);
    CHECK(first.job_id == "4242");
    REQUIRE(first.arrays.size() == 1);
    REQUIRE(second.arrays.size() == 1);
    CHECK(first.list_path != second.list_path);
    CHECK(first.script_path != second.script_path);
    // Each script reads its own list, which still holds its two trials.
    for (const SlurmSubmission* sub : {&first, &second}) {
        CHECK_THAT(sub->script, Catch::Contains(sub->list_path));
        const std::string list = read_text(sub->list_path);
        CHECK(std::count(list.begin(), list.end(), '\n') == 2);
        CHECK_THAT(std::filesystem::path(sub->list_path).filename().string(), Catch::Contains("-" + std::to_string(::getpid()) + "-"));
    }
}
