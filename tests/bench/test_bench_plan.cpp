// Which configs `altup bench` times, and what each is relative to; the round order.
#include <catch2/catch.hpp>

#include "bench/sweep/bench_plan.hpp"
#include "bench/sweep/interleaved_timing.hpp"
#include "experiments/config/config_io.hpp"

using namespace altup;

namespace {
BenchTrial trial(const std::string& variant, const std::string& preset, int seed, const std::string& dir = "runs/s") {
    BenchTrial t;
    REQUIRE(apply_preset(preset, t.config.model));
    t.config.model.preset = preset;
    if (variant == "altup-k2") t.config.model.altup.k = 2;
    if (variant == "dense-2x") t.config.model.width_mult = 2;
    t.config.seed = uint64_t(seed);
    t.id = config_id(t.config);
    t.sweep_dir = dir;
    t.labels = {{"variant", variant}, {"model.preset", preset}, {"seed", std::to_string(seed)}};
    t.threads = 1;
    return t;
}
}  // namespace

TEST_CASE("trials differing only in seed share a speed config, and each config is relative to its size's baseline", "[bench][plan]") {
    const std::vector<BenchTrial> trials = {trial("altup-k2", "tiny", 1), trial("baseline", "tiny", 1), trial("baseline", "tiny", 2),
                                            trial("altup-k2", "tiny", 2), trial("baseline", "small", 1), trial("altup-k2", "small", 1)};
    const auto plan = plan_bench(trials, {});
    REQUIRE(plan.size() == 4);  // altup tiny, baseline tiny, baseline small, altup small: first appearance
    CHECK(plan[0].trial_ids.size() == 2);
    CHECK(plan[0].labels[0].at("variant") == "altup-k2");
    CHECK(plan[0].baseline == 1);
    CHECK(plan[1].baseline == 1);
    CHECK(plan[2].baseline == 2);
    CHECK(plan[3].baseline == 2);

    BaselineChoice by_id;
    by_id.id = plan[3].id;
    for (const BenchConfig& c : plan_bench(trials, by_id)) CHECK(c.baseline == 3);
    by_id.id = "000000000000";
    CHECK_THROWS_WITH(plan_bench(trials, by_id), Catch::Contains("--baseline-id 000000000000"));

    BaselineChoice dense;
    dense.variant = "dense-2x";  // no trial has it: everything relative to the first config
    for (const BenchConfig& c : plan_bench(trials, dense)) CHECK(c.baseline == 0);
}

TEST_CASE("selecting configs by id (--only) keeps each one's baseline, renumbered", "[bench][plan]") {
    const std::vector<BenchTrial> trials = {trial("baseline", "tiny", 1), trial("altup-k2", "tiny", 1), trial("baseline", "small", 1),
                                            trial("altup-k2", "small", 1)};
    const auto plan = plan_bench(trials, {});
    const auto kept = select_configs(plan, {plan[3].id});
    REQUIRE(kept.size() == 2);
    CHECK(kept[0].id == plan[2].id);
    CHECK(kept[1].id == plan[3].id);
    CHECK(kept[1].baseline == 0);
    CHECK_THROWS_WITH(select_configs(plan, {"nope"}), Catch::Contains("--only nope"));
}

TEST_CASE("the same config in two sweep folders is timed for each, against its own folder's baseline", "[bench][plan]") {
    const auto plan = plan_bench({trial("baseline", "tiny", 1, "runs/a"), trial("altup-k2", "tiny", 1, "runs/b"),
                                  trial("baseline", "tiny", 1, "runs/b")},
                                 {});
    REQUIRE(plan.size() == 3);
    CHECK(plan[1].baseline == 2);
    CHECK(plan[2].baseline == 2);
}

TEST_CASE("interleaved rounds rotate the order and time every workload each round", "[bench][timing]") {
    CHECK(round_order(3, 0) == std::vector<std::size_t>{0, 1, 2});
    CHECK(round_order(3, 1) == std::vector<std::size_t>{1, 2, 0});
    CHECK(round_order(3, 5) == std::vector<std::size_t>{2, 0, 1});
    std::vector<int> calls;  // c: workload c prepared; 10 + c: one step of it
    std::vector<Workload> w;
    for (int c = 0; c < 3; ++c) w.push_back({[&calls, c] { calls.push_back(c); }, [&calls, c] { calls.push_back(10 + c); }});
    InterleavedOptions o;
    o.warmup = 1;
    o.rounds = 2;
    o.steps_per_round = 2;
    const auto ms = time_interleaved(w, o);
    const std::vector<int> expected = {0, 10, 1, 11, 2, 12,               // warm-up, in order
                                       0, 10, 10, 1, 11, 11, 2, 12, 12,   // round 0
                                       1, 11, 11, 2, 12, 12, 0, 10, 10};  // round 1, rotated
    CHECK(calls == expected);
    REQUIRE(ms.size() == 3);
    for (const auto& m : ms) CHECK(m.size() == 2);
}
