// `altup sweep FILE --set KEY=VALUE`: the same trials as writing the value in
// the file's `set:` section, refused for a key the sweep varies.
#include <catch2/catch.hpp>

#include <set>

#include "experiments/config/config_io.hpp"
#include "sweep_test_support.hpp"
#include "sweeps/command_line_sets.hpp"

using namespace altup;
using sweep_test::expand_text;
using sweep_test::spec_from;

namespace {

const std::string kSweep =
    "name: s\n"
    "base: {model: {preset: tiny}, train: {steps: 10, lr: 0.001}, seed: 1}\n"
    "set: {train.steps: 20}\n"
    "variants: {baseline: {}, altup-k2: {model.altup.k: 2}}\n"
    "grid: {train.lr: [1e-3, 2e-3]}\n"
    "seeds: 2\n";

SweepExpansion expand_with(const std::string& text, const std::vector<std::string>& sets) {
    SweepSpec spec = spec_from(text);
    apply_command_line_sets(spec, sets);
    return expand_sweep(spec);
}

std::vector<std::string> ids(const SweepExpansion& e) {
    std::vector<std::string> out;
    for (const auto& t : e.trials) out.push_back(t.id);
    return out;
}

std::string error_of(const std::string& text, const std::vector<std::string>& sets) {
    try {
        expand_with(text, sets);
    } catch (const std::exception& e) {
        return e.what();
    }
    return "";
}

}  // namespace

TEST_CASE("sweep --set gives every trial the value, as the same key in the file's set: would", "[expansion][cli-set]") {
    const auto from_cli = expand_with(kSweep, {"train.steps=7", "model.init_std=0.03"});
    // The same sweep with the two values written into the file by hand.
    std::string edited = kSweep;
    edited.replace(edited.find("set: {train.steps: 20}"), 22, "set: {train.steps: 7, model.init_std: 0.03}");
    const auto from_file = expand_text(edited);
    REQUIRE(from_cli.trials.size() == 8);
    CHECK(ids(from_cli) == ids(from_file));
    for (const auto& t : from_cli.trials) {
        CHECK(t.config.train.steps == 7);
        CHECK(t.config.model.init_std == Approx(0.03));
    }
    // Ids change as an edit would; labels do not (the key is no axis).
    const auto plain = expand_text(kSweep);
    const auto a = ids(plain), b = ids(from_cli);
    CHECK(std::set<std::string>(a.begin(), a.end()).count(b[0]) == 0);
    CHECK(from_cli.trials[3].labels == plain.trials[3].labels);
}

TEST_CASE("sweep --set of a key the sweep varies is refused, naming where it varies", "[expansion][cli-set]") {
    CHECK_THAT(error_of(kSweep, {"train.lr=5e-3"}),
               Catch::Contains("--set train.lr=5e-3: key 'train.lr': the sweep varies this key in its grid (sweep.yaml:5:"));
    CHECK_THAT(error_of(kSweep, {"model.altup.k=4"}), Catch::Contains("variant 'altup-k2' (sweep.yaml:4:"));
    CHECK_THAT(error_of(kSweep, {"seed=3"}), Catch::Contains("its seeds"));
    const std::string zipped = "name: z\nbase: {model: {preset: tiny}}\nzip: {model.d_model: [64, 96], model.heads: [2, 3]}\n";
    CHECK_THAT(error_of(zipped, {"model.heads=4"}), Catch::Contains("its zip (sweep.yaml:3:"));
    // Without a seeds axis the seed is an ordinary key.
    CHECK(expand_with(zipped, {"seed=5"}).trials[1].config.seed == 5);
}

TEST_CASE("sweep --set keys and values are checked as altup train --set checks them", "[expansion][cli-set]") {
    CHECK_THAT(error_of(kSweep, {"train.stpes=5"}), Catch::Contains("--set train.stpes=5") && Catch::Contains("did you mean train.steps"));
    CHECK_THAT(error_of(kSweep, {"train.steps"}), Catch::Contains("expected KEY=VALUE"));
    CHECK_THAT(error_of(kSweep, {"model=3"}), Catch::Contains("a section, not a key"));
    // A value of the wrong kind fails when the trials' configs are validated, naming the trial.
    CHECK_THAT(error_of(kSweep, {"train.steps=many"}), Catch::Contains("train.steps"));
}

TEST_CASE("altup sweep --set: the dry run lists the changed trials and the manifest records the override",
          "[runner][cli-set]") {
    sweep_test::TempDir dir;
    sweep_test::write_text(dir / "sweep.yaml", kSweep);
    const std::string expected = ids(expand_with(kSweep, {"train.steps=3"}))[0];
    REQUIRE(sweep_test::run_sweep_command(dir / "dry.log", {dir / "sweep.yaml", "--set", "train.steps=3", "--dry-run"}) == 0);
    CHECK_THAT(sweep_test::read_text(dir / "dry.log"), Catch::Contains(expected));

    sweep_test::FakeTrainerEnv env(dir);
    REQUIRE(sweep_test::run_sweep_command(dir / "run.log", {dir / "sweep.yaml", "--set=train.steps=3", "--out", dir / "runs",
                                                            "--trainer", "/bin/sh " + sweep_test::fake_trainer_path(),
                                                            "--only", "seed=1", "--only", "variant=baseline", "--only",
                                                            "train.lr=1e-3"}) == 0);
    const auto manifest = sweep_test::read_json(dir / "runs/s/sweep.json");
    CHECK(manifest["command_line_sets"] == nlohmann::json::array({"train.steps=3"}));
    CHECK(manifest["trials"][0] == expected);
    CHECK(YAML::LoadFile(dir / ("runs/s/" + expected + "/config.yaml"))["train"]["steps"].as<int>() == 3);
    // A refused key is a usage error (2) and writes nothing.
    CHECK(sweep_test::run_sweep_command(dir / "bad.log", {dir / "sweep.yaml", "--set", "train.lr=1", "--out", dir / "runs2"}) == 2);
    CHECK_FALSE(sweep_test::fs::exists(dir / "runs2"));
}
