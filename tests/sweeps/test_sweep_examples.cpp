// The example sweeps in sweeps/examples/ must stay valid: each expands (as
// --dry-run does) to the number of trials its comment promises.
#include <catch2/catch.hpp>

#include <unistd.h>

#include "sweep_test_support.hpp"
#include "sweeps/sweep_command.hpp"

using namespace altup;

TEST_CASE("every example sweep expands and validates", "[examples]") {
    const std::map<std::string, size_t> expected_trials = {
        {"quickstart.yaml", 3},     {"altup_vs_baseline.yaml", 45},  {"moe_synergy.yaml", 12},
        {"sequence_altup.yaml", 20}, {"selection_ablation.yaml", 18}, {"gemma3n_vs_paper.yaml", 20},
        {"downstream.yaml", 18},
    };
    std::set<std::string> seen;
    for (const auto& entry : std::filesystem::directory_iterator(std::string(ALTUP_SOURCE_DIR) + "/sweeps/examples")) {
        const std::string file = entry.path().filename().string();
        if (entry.path().extension() != ".yaml") continue;
        INFO("example " << file);
        seen.insert(file);
        SweepExpansion sweep;
        try {
            sweep = expand_sweep(load_sweep(entry.path().string()));
        } catch (const std::exception& e) {
            FAIL(e.what());
        }
        CHECK(sweep.warnings.empty());
        REQUIRE(expected_trials.count(file) == 1);
        CHECK(sweep.trials.size() == expected_trials.at(file));
        CHECK(sweep.spec.name + ".yaml" == file);
    }
    CHECK(seen.size() == expected_trials.size());
}

TEST_CASE("every study sweep of docs/results.md expands and validates", "[examples]") {
    // Their trial ids must also stay what the committed results/ folders hold:
    // a change to a study file that renames its trials shows up here first.
    const std::map<std::string, size_t> expected_trials = {
        {"ablations_tiny.yaml", 21}, {"altup_presets.yaml", 45},  {"altup_sizes.yaml", 12}, {"altup_tiny.yaml", 15},
        {"bf16_quickstart.yaml", 6}, {"downstream_tiny.yaml", 27}, {"lr_sizes.yaml", 18}, {"moe_table.yaml", 28},
        {"study5_lr.yaml", 15}, {"study5_main.yaml", 79}, {"study5_downstream.yaml", 18}, {"study5_bf16.yaml", 3},
    };
    std::set<std::string> seen;
    for (const auto& entry : std::filesystem::directory_iterator(std::string(ALTUP_SOURCE_DIR) + "/sweeps/studies")) {
        const std::string file = entry.path().filename().string();
        if (entry.path().extension() != ".yaml") continue;
        INFO("study " << file);
        seen.insert(file);
        SweepExpansion sweep;
        try {
            sweep = expand_sweep(load_sweep(entry.path().string()));
        } catch (const std::exception& e) {
            FAIL(e.what());
        }
        CHECK(sweep.warnings.empty());
        REQUIRE(expected_trials.count(file) == 1);
        CHECK(sweep.trials.size() == expected_trials.at(file));
        CHECK(sweep.spec.name + ".yaml" == file);
        const std::string results = std::string(ALTUP_SOURCE_DIR) + "/results/" + sweep.spec.name;
        if (!std::filesystem::exists(results)) continue;
        std::set<std::string> ids;
        for (const auto& t : sweep.trials) ids.insert(t.id);
        for (const auto& dir : std::filesystem::directory_iterator(results)) {
            const std::string name = dir.path().filename().string();
            // bench/ holds altup bench's files (docs/bench.md), not a trial.
            if (dir.is_directory() && name != "bench") CHECK(ids.count(name) == 1);
        }
    }
    CHECK(seen.size() == expected_trials.size());
}

TEST_CASE("a dry run prints the trial table and the count, and runs nothing", "[examples][cli]") {
    sweep_test::TempDir dir;
    sweep_test::write_text(dir / "s.yaml",
                           "name: dry\nbase: {model: {preset: tiny}}\nvariants: {baseline: {}, altup-k2: {model.altup.k: 2}}\nseeds: 2\n");
    const auto sweep = expand_sweep(load_sweep(dir / "s.yaml"));
    const std::string out_path = dir / "stdout.txt";
    const pid_t pid = sweep_test::fork_process(out_path, [&] {
        std::vector<std::string> args = {"sweep", dir / "s.yaml", "--dry-run", "--out", dir / "runs"};
        std::vector<char*> argv;
        for (auto& a : args) argv.push_back(a.data());
        return sweep_command(static_cast<int>(argv.size()), argv.data());
    });
    CHECK(sweep_test::wait_exit_code(pid) == 0);
    const std::string out = sweep_test::read_text(out_path);
    CHECK_THAT(out, Catch::Contains("4 trials in sweep 'dry'"));
    CHECK_THAT(out, Catch::Contains("| " + sweep.trials[3].id + " | variant=altup-k2 seed=2 | model.altup.k=2 seed=2 |"));
    CHECK_FALSE(std::filesystem::exists(dir / "runs"));
}
