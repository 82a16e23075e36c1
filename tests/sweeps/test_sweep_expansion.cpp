// Expansion: what each sweep construct produces, alone and combined, and trial ids.
#include <catch2/catch.hpp>

#include <set>

#include "experiments/config/config_io.hpp"
#include "sweep_test_support.hpp"

using namespace altup;
using sweep_test::expand_text;

namespace {

const std::string kBase = "base: {model: {preset: tiny, altup: {k: 1}}, train: {steps: 10, lr: 0.001}, seed: 1}\n";

const Trial& find_trial(const SweepExpansion& e, const std::map<std::string, std::string>& labels) {
    for (const auto& t : e.trials) {
        bool all = true;
        for (const auto& [k, v] : labels) all = all && t.labels.count(k) && t.labels.at(k) == v;
        if (all) return t;
    }
    FAIL("no trial with labels " << labels_text(labels));
    throw std::logic_error("unreachable");
}

std::set<std::string> ids(const SweepExpansion& e) {
    std::set<std::string> out;
    for (const auto& t : e.trials) out.insert(t.id);
    return out;
}

}  // namespace

TEST_CASE("a sweep without axes is the base config alone, labelled with its seed", "[expansion]") {
    const auto e = expand_text("name: single\n" + kBase);
    REQUIRE(e.trials.size() == 1);
    CHECK(e.trials[0].labels == std::map<std::string, std::string>{{"seed", "1"}});
    CHECK(e.trials[0].overrides.empty());
    CHECK(e.trials[0].config.model.altup.k == 1);
}

TEST_CASE("grid is the cartesian product, first key varying slowest", "[expansion]") {
    const auto e = expand_text("name: g\n" + kBase + "grid:\n  model.altup.k: [1, 2]\n  train.lr: [1e-3, 3e-3, 1e-2]\n");
    REQUIRE(e.trials.size() == 6);
    CHECK(e.trials[0].labels.at("model.altup.k") == "1");
    CHECK(e.trials[0].labels.at("train.lr") == "1e-3");
    CHECK(e.trials[1].labels.at("train.lr") == "3e-3");
    CHECK(e.trials[3].labels.at("model.altup.k") == "2");
    const Trial& t = find_trial(e, {{"model.altup.k", "2"}, {"train.lr", "1e-2"}});
    CHECK(t.config.model.altup.k == 2);
    CHECK(t.config.train.lr == Approx(0.01));
    CHECK(t.overrides == std::vector<std::pair<std::string, std::string>>{{"model.altup.k", "2"}, {"train.lr", "1e-2"}});
    CHECK(ids(e).size() == 6);
}

TEST_CASE("nested mappings in a grid or variant mean the same as dotted keys", "[expansion]") {
    const auto dotted = expand_text("name: n\n" + kBase + "grid: {model.altup.k: [2, 4]}\nvariants: {r: {model.altup.recycled: true}}\n");
    const auto nested = expand_text("name: n\n" + kBase + "grid: {model: {altup: {k: [2, 4]}}}\nvariants: {r: {model: {altup: {recycled: true}}}}\n");
    CHECK(ids(dotted) == ids(nested));
    CHECK(nested.trials[1].config.model.altup.recycled);
}

TEST_CASE("variants are crossed with the grid and labelled by name", "[expansion]") {
    const auto e = expand_text("name: v\n" + kBase +
                               "variants:\n  baseline: {}\n  altup-k2: {model.altup.k: 2}\n  dense-2x: {model.width_mult: 2}\n"
                               "grid: {train.lr: [1e-3, 2e-3]}\n");
    REQUIRE(e.trials.size() == 6);
    CHECK(e.trials[0].labels.at("variant") == "baseline");
    CHECK(e.trials[2].labels.at("variant") == "altup-k2");
    const Trial& k2 = find_trial(e, {{"variant", "altup-k2"}, {"train.lr", "2e-3"}});
    CHECK(k2.config.model.altup.k == 2);
    CHECK(k2.config.train.lr == Approx(0.002));
    CHECK(k2.labels == std::map<std::string, std::string>{{"variant", "altup-k2"}, {"train.lr", "2e-3"}, {"seed", "1"}});
    CHECK(find_trial(e, {{"variant", "dense-2x"}}).config.model.width_mult == 2);
    CHECK(find_trial(e, {{"variant", "baseline"}}).config.model.width_mult == 1);
}

TEST_CASE("zip pairs values element by element instead of crossing them", "[expansion]") {
    const auto e = expand_text("name: z\n" + kBase + "zip:\n  model.preset: [tiny, small, base]\n  train.lr: [3e-3, 2e-3, 1e-3]\n");
    REQUIRE(e.trials.size() == 3);
    CHECK(find_trial(e, {{"model.preset", "tiny"}}).config.train.lr == Approx(3e-3));
    CHECK(find_trial(e, {{"model.preset", "small"}}).config.train.lr == Approx(2e-3));
    CHECK(find_trial(e, {{"model.preset", "base"}}).config.train.lr == Approx(1e-3));
}

TEST_CASE("several zip groups are crossed with each other", "[expansion]") {
    const auto e = expand_text("name: z2\n" + kBase +
                               "zip:\n  - {model.preset: [tiny, small], train.lr: [3e-3, 2e-3]}\n"
                               "  - {train.steps: [10, 20, 30], eval.every: [5, 10, 15]}\n");
    REQUIRE(e.trials.size() == 6);
    const Trial& t = find_trial(e, {{"model.preset", "small"}, {"train.steps", "30"}});
    CHECK(t.config.train.lr == Approx(2e-3));
    CHECK(t.config.eval.every == 15);
}

TEST_CASE("seeds as a count run 1..N, as a list run exactly those", "[expansion]") {
    const auto counted = expand_text("name: s\n" + kBase + "seeds: 3\n");
    REQUIRE(counted.trials.size() == 3);
    for (int i = 0; i < 3; ++i) {
        CHECK(counted.trials[i].config.seed == static_cast<uint64_t>(i + 1));
        CHECK(counted.trials[i].labels.at("seed") == std::to_string(i + 1));
    }
    const auto listed = expand_text("name: s\n" + kBase + "seeds: [5, 7]\n");
    REQUIRE(listed.trials.size() == 2);
    CHECK(listed.trials[0].config.seed == 5);
    CHECK(listed.trials[1].config.seed == 7);
}

TEST_CASE("set applies to every trial", "[expansion]") {
    const auto e = expand_text("name: s\n" + kBase + "set: {train.steps: 77}\nseeds: 2\n");
    for (const auto& t : e.trials) CHECK(t.config.train.steps == 77);
}

TEST_CASE("exclude drops the trials matching every key of an entry - numbers compare by value", "[expansion]") {
    const auto e = expand_text("name: x\n" + kBase +
                               "variants: {baseline: {}, altup-k2: {model.altup.k: 2}}\n"
                               "grid: {model.preset: [tiny, small], train.lr: [1e-3, 2e-3]}\n"
                               "exclude:\n  - {variant: altup-k2, model.preset: small}\n  - {train.lr: 0.002, model.preset: tiny}\n");
    // 2 x 2 x 2 = 8; the first entry drops 2 (both lrs), the second 2 (both variants).
    REQUIRE(e.trials.size() == 4);
    for (const auto& t : e.trials) {
        CHECK_FALSE((t.labels.at("variant") == "altup-k2" && t.labels.at("model.preset") == "small"));
        CHECK_FALSE((t.labels.at("train.lr") == "2e-3" && t.labels.at("model.preset") == "tiny"));
    }
    CHECK(e.warnings.empty());
}

TEST_CASE("an exclude entry that matches nothing is a warning", "[expansion]") {
    const auto e = expand_text("name: x\n" + kBase + "grid: {model.altup.k: [1, 2]}\nexclude: [{model.altup.k: 3}]\n");
    CHECK(e.trials.size() == 2);
    REQUIRE(e.warnings.size() == 1);
    CHECK_THAT(e.warnings[0], Catch::StartsWith("sweep.yaml:4:11:") && Catch::Contains("matches no trial"));
}

TEST_CASE("include adds trials, crossed with the seeds unless it names one", "[expansion]") {
    const auto e = expand_text("name: i\n" + kBase +
                               "variants: {baseline: {}, altup-k2: {model.altup.k: 2}}\n"
                               "seeds: 2\n"
                               "include:\n  - {variant: altup-k2, model.preset: small, train.lr: 5e-4}\n"
                               "  - {variant: baseline, model.width_mult: 2, seed: 9}\n");
    // 2 variants x 2 seeds, + 2 (first include over both seeds) + 1.
    REQUIRE(e.trials.size() == 7);
    const Trial& inc = find_trial(e, {{"variant", "altup-k2"}, {"model.preset", "small"}, {"seed", "2"}});
    CHECK(inc.config.model.altup.k == 2);
    CHECK(inc.config.train.lr == Approx(5e-4));
    CHECK(inc.config.seed == 2);
    const Trial& wide = find_trial(e, {{"model.width_mult", "2"}});
    CHECK(wide.config.seed == 9);
    CHECK(wide.labels == std::map<std::string, std::string>{{"variant", "baseline"}, {"model.width_mult", "2"}, {"seed", "9"}});
}

TEST_CASE("every construct together: variants x grid x zip x seeds - exclude + include", "[expansion]") {
    const auto e = expand_text("name: all\n" + kBase +
                               "set: {train.steps: 20}\n"
                               "variants: {baseline: {}, altup-k2: {model.altup.k: 2}, recycled-k2: {model.altup.k: 2, model.altup.recycled: true}}\n"
                               "grid: {model.norm: [layernorm, rmsnorm]}\n"
                               "zip: {model.preset: [tiny, small], train.lr: [2e-3, 1e-3]}\n"
                               "seeds: [1, 2]\n"
                               "exclude: [{variant: recycled-k2, model.norm: rmsnorm}]\n"
                               "include: [{variant: baseline, model.width_mult: 2, seed: 1}]\n");
    // 3 x 2 x 2 x 2 = 24, minus recycled+rmsnorm (2 zip x 2 seeds = 4), plus 1.
    REQUIRE(e.trials.size() == 21);
    const Trial& t = find_trial(e, {{"variant", "recycled-k2"}, {"model.preset", "small"}, {"seed", "2"}});
    CHECK(t.config.model.altup.recycled);
    CHECK(t.config.train.lr == Approx(1e-3));
    CHECK(t.config.train.steps == 20);
    CHECK(t.config.seed == 2);
    CHECK(t.labels.size() == 5);  // variant, model.norm, model.preset, train.lr, seed
    CHECK(ids(e).size() == 21);
}

TEST_CASE("trial ids do not depend on key order, and do depend on values", "[expansion][ids]") {
    const auto a = expand_text("name: o\n"
                               "base: {seed: 1, train: {lr: 0.001, steps: 10}, model: {altup: {k: 1}, preset: tiny}}\n"
                               "grid: {model.altup.k: [1, 2], train.lr: [1e-3, 2e-3]}\n"
                               "variants: {baseline: {}, wide: {model.width_mult: 2, model.moe.experts: 4}}\n");
    const auto b = expand_text("variants: {wide: {model.moe.experts: 4, model.width_mult: 2}, baseline: {}}\n"
                               "grid: {train.lr: [1e-3, 2e-3], model.altup.k: [1, 2]}\n"
                               "base: {model: {preset: tiny, altup: {k: 1}}, train: {steps: 10, lr: 0.001}, seed: 1}\n"
                               "name: o\n");
    REQUIRE(a.trials.size() == 8);
    CHECK(ids(a) == ids(b));
    const auto changed = expand_text("name: o\n"
                                     "base: {seed: 1, train: {lr: 0.001, steps: 11}, model: {altup: {k: 1}, preset: tiny}}\n"
                                     "grid: {model.altup.k: [1, 2], train.lr: [1e-3, 2e-3]}\n"
                                     "variants: {baseline: {}, wide: {model.width_mult: 2, model.moe.experts: 4}}\n");
    for (const auto& id : ids(changed)) CHECK(ids(a).count(id) == 0);
}

TEST_CASE("a trial's id is config_id of the base with its overrides applied by hand", "[expansion][ids]") {
    const auto e = expand_text("name: h\n" + kBase + "variants: {k2: {model.altup.k: 2}}\nseeds: [4]\n");
    REQUIRE(e.trials.size() == 1);
    YAML::Node root = YAML::Load("{model: {preset: tiny, altup: {k: 2}}, train: {steps: 10, lr: 0.001}, seed: 4}");
    CHECK(e.trials[0].id == config_id(parse_config(root, "by hand")));
    // The name does not enter the id, and the resolved config reads back to the same id.
    CHECK(e.trials[0].config.name == "h-k2-s4");
    YAML::Node resolved = to_yaml(e.trials[0].config);
    CHECK(config_id(parse_config(YAML::Load(YAML::Dump(resolved)), "round trip")) == e.trials[0].id);
}

TEST_CASE("labels print variant first and seed last", "[expansion]") {
    CHECK(labels_text({{"seed", "2"}, {"variant", "altup-k2"}, {"model.preset", "small"}}) ==
          "variant=altup-k2 model.preset=small seed=2");
    CHECK(labels_text({}) == "(base)");
}

TEST_CASE("override values read back as themselves - labels keep the file's spelling", "[expansion]") {
    const YAML::Node doc = YAML::Load("{colon: 'a: b', rate: 1e-3, list: [1, 2], word: small}");
    for (const char* key : {"colon", "rate", "word"})
        CHECK(YAML::Load(override_text(doc[key])).Scalar() == doc[key].Scalar());
    CHECK(value_text(doc["colon"]) == "a: b");
    CHECK(value_text(doc["rate"]) == "1e-3");
    CHECK(value_text(doc["list"]) == "[1, 2]");
    CHECK(YAML::Load(override_text(doc["list"])).size() == 2);
}
