// What makes a comparison table trustworthy: groups are configurations (not
// names), stale trials stay out, the dense reference family, Welch's test, the
// power-law fit with its bootstrap interval. Every expected number is worked by
// hand (or in closed form) in the comments.
#include <catch2/catch.hpp>

#include <cmath>

#include <nlohmann/json.hpp>

#include "analysis/analysis.hpp"
#include "analysis/family_fit.hpp"
#include "analysis/report_tables.hpp"
#include "analysis/statistics.hpp"
#include "analysis_fixtures.hpp"
#include "util/sweep_manifest_format.hpp"

using namespace altup;
using namespace altup_test;
using nlohmann::json;

namespace {

struct Trial {
    std::string folder;  // under the runs dir
    std::string sweep;
    json labels;
    json config;  // the resolved config's keys that matter here
    double accuracy = 0.3, loss = 4.0, tokens_per_s = 1000;
    std::optional<double> flops_per_step = std::nullopt;
};

// A config with every key the dense test reads; `over` changes some.
json model_config(int d_model, int k, int experts, int steps = 20, int seed = 1) {
    return {{"name", "n"},
            {"seed", seed},
            {"model", {{"d_model", d_model}, {"seq_len", 128},
                       {"altup", {{"k", k}}}, {"moe", {{"experts", experts}}}, {"sequence_altup", {{"stride", 1}}}}},
            {"data", {{"cache_dir", nullptr}}},
            {"train", {{"steps", steps}, {"batch", 16}, {"grad_accum", 1}, {"threads", 2}}},
            {"finetune", {{"task", "none"}}}};
}

void write_trial(const std::string& runs, const Trial& t, const std::string& trial_id) {
    json speed = {{"train_tokens_per_s", t.tokens_per_s}, {"ms_per_step", {{"median", 100}}}, {"eval_tokens_per_s", 3000}};
    if (t.flops_per_step) speed["flops_per_step"] = *t.flops_per_step;
    const json r = {
        {"schema_version", 1}, {"trial_id", trial_id}, {"name", "n"}, {"sweep", t.sweep}, {"labels", t.labels},
        {"status", "completed"}, {"message", ""}, {"diverged_at_step", nullptr}, {"config", t.config},
        {"params", {{"total", 1000}, {"embedding", 600}, {"non_embedding", 400}, {"altup_scalars", 0}}},
        {"quality", {{"eval_loss", t.loss}, {"perplexity", std::exp(t.loss)}, {"token_accuracy", t.accuracy},
                     {"curve", json::array()}}},
        {"train", {{"steps_done", 20}, {"wall_time_s", 3.0}}},
        {"speed", speed}};
    write_text(runs + "/" + t.folder + "/result.json", r.dump(2));
}

void write_manifest(const std::string& sweep_dir, const std::string& sweep, const std::vector<std::string>& ids) {
    write_text(sweep_dir + "/" + kSweepManifestName,
               json{{"format", kSweepManifestFormat}, {"sweep", sweep}, {"sweep_file", "s.yaml"}, {"trials", ids}}.dump());
}

const Group& group_with(const Analysis& a, const std::string& key, const std::string& value) {
    for (const Group& g : a.groups)
        if (g.label(key) == value) return g;
    throw std::runtime_error("no group with " + key + "=" + value);
}

}  // namespace

TEST_CASE("an edited sweep: old and new trials are separate groups, the stale ones left out", "[analysis][groups]") {
    ScratchDir dir;
    const std::string runs = dir.path();
    // train.steps 20 -> 25 under one sweep name, the same labels: four trials, two configurations.
    for (int seed : {1, 2}) {
        write_trial(runs, {"s/old" + std::to_string(seed), "s", {{"variant", "baseline"}, {"seed", std::to_string(seed)}},
                           model_config(64, 1, 0, 20, seed), 0.20 + 0.01 * seed},
                    "old" + std::to_string(seed));
        write_trial(runs, {"s/new" + std::to_string(seed), "s", {{"variant", "baseline"}, {"seed", std::to_string(seed)}},
                           model_config(64, 1, 0, 25, seed), 0.30 + 0.01 * seed},
                    "new" + std::to_string(seed));
    }
    SECTION("without a manifest both configurations show, told apart by the key that differs") {
        const Analysis a = analyze(runs, AnalyzeOptions{});
        REQUIRE(a.groups.size() == 2);
        CHECK(group_with(a, "train.steps", "20").trials.size() == 2);
        CHECK(*group_with(a, "train.steps", "25").stat(Metric::token_accuracy).mean == Approx(0.315));  // (0.31 + 0.32) / 2
        CHECK(*group_with(a, "train.steps", "20").stat(Metric::token_accuracy).mean == Approx(0.215));
        CHECK(a.stale_left_out == 0);
    }
    SECTION("the manifest of the last run lists only the new trials: the old ones are stale") {
        write_manifest(runs + "/s", "s", {"new1", "new2"});
        const Analysis a = analyze(runs, AnalyzeOptions{});
        REQUIRE(a.groups.size() == 1);
        CHECK(a.groups[0].trials.size() == 2);
        CHECK(*a.groups[0].stat(Metric::token_accuracy).mean == Approx(0.315));
        CHECK(a.stale_left_out == 2);
        const Table t = groups_table(a, AnalyzeOptions{});
        bool said = false;
        for (const std::string& n : t.notes) said = said || n.find("2 stale trial(s) left out") != std::string::npos;
        CHECK(said);

        AnalyzeOptions with_stale;
        with_stale.include_stale = true;
        const Analysis b = analyze(runs, with_stale);
        REQUIRE(b.groups.size() == 2);
        CHECK(group_with(b, kStaleLabel, "yes").trials.size() == 2);
        CHECK(*group_with(b, kStaleLabel, "yes").stat(Metric::token_accuracy).mean == Approx(0.215));
    }
}

TEST_CASE("two standalone runs of one name but different models are two groups", "[analysis][groups]") {
    ScratchDir dir;
    write_trial(dir.path(), {"standalone/quickstart/a", "", json::object(), model_config(128, 1, 0), 0.2}, "a");
    write_trial(dir.path(), {"standalone/quickstart/b", "", json::object(), model_config(256, 1, 0), 0.3}, "b");
    // The same config under two seeds: one group of two.
    write_trial(dir.path(), {"standalone/quickstart/c", "", json::object(), model_config(256, 1, 0, 20, 7), 0.4}, "c");
    const Analysis a = analyze(dir.path(), AnalyzeOptions{});
    REQUIRE(a.groups.size() == 2);
    CHECK(group_with(a, "model.d_model", "128").trials.size() == 1);
    CHECK(group_with(a, "model.d_model", "256").trials.size() == 2);
    CHECK(*group_with(a, "model.d_model", "256").stat(Metric::token_accuracy).mean == Approx(0.35));
}

TEST_CASE("Welch's t-test against closed forms of Student's t", "[analysis][statistics]") {
    // {1,2,3} vs {4,5,6}: means 2 and 5, variances 1: t = -3 / sqrt(1/3 + 1/3) = -3.6742,
    // dof = (2/3)^2 / ((1/3)^2/2 · 2) = 4. For 4 dof, with x = t / sqrt(t^2 + 4),
    // P(|T| > t) = 1 - x (3 - x^2) / 2.
    const auto w = welch_t_test({1, 2, 3}, {4, 5, 6});
    REQUIRE(w);
    CHECK(w->t == Approx(-3.674235));
    CHECK(w->dof == Approx(4.0));
    const double x = 3.674235 / std::sqrt(3.674235 * 3.674235 + 4);
    CHECK(w->p == Approx(1 - x * (3 - x * x) / 2).epsilon(1e-6));  // 0.0213116
    CHECK(w->p == Approx(0.0213116).margin(1e-6));
    // {5,5,5} vs {1,2,3}: one variance 0, so dof = 2, t = 3 / sqrt(1/3) = 5.19615; for 2 dof
    // P(|T| > t) = 1 - t / sqrt(t^2 + 2) = 0.035098.
    const auto two = welch_t_test({5, 5, 5}, {1, 2, 3});
    REQUIRE(two);
    CHECK(two->dof == Approx(2.0));
    CHECK(two->p == Approx(1 - 5.196152 / std::sqrt(5.196152 * 5.196152 + 2)).epsilon(1e-6));
    // Not defined: one seed a side, or no variance at all.
    CHECK_FALSE(welch_t_test({1}, {2, 3}));
    CHECK_FALSE(welch_t_test({1, 1}, {2, 2}));
}

TEST_CASE("deltas against the baseline carry Welch p-values and the seed counts", "[analysis][statistics]") {
    ScratchDir dir;
    const double base[] = {0.30, 0.31, 0.32}, altup[] = {0.33, 0.34, 0.36};
    for (int s = 0; s < 3; ++s) {
        const std::string seed = std::to_string(s + 1);
        write_trial(dir.path(), {"s/b" + seed, "s", {{"variant", "baseline"}, {"seed", seed}}, model_config(64, 1, 0, 20, s + 1), base[s]}, "b" + seed);
        write_trial(dir.path(), {"s/a" + seed, "s", {{"variant", "altup-k2"}, {"seed", seed}}, model_config(64, 2, 0, 20, s + 1), altup[s]}, "a" + seed);
    }
    const Analysis a = analyze(dir.path(), AnalyzeOptions{});
    REQUIRE(a.comparisons.rows.size() == 1);
    const auto& test = a.comparisons.rows[0].accuracy_test;
    REQUIRE(test);
    // Means 0.3433 and 0.31, variances 0.0002333 and 0.0001: se^2 = (0.0002333 + 0.0001) / 3,
    // t = 0.03333 / sqrt(0.00011111) = 3.1623, dof = 0.00011111^2 / ((0.00007778^2 + 0.00003333^2) / 2) = 3.4483.
    CHECK(test->t == Approx(3.16228).epsilon(1e-4));
    CHECK(test->dof == Approx(3.44828).epsilon(1e-4));
    CHECK(test->p == Approx(welch_t_test({0.33, 0.34, 0.36}, {0.30, 0.31, 0.32})->p));
    CHECK(test->p > 0.02);
    CHECK(test->p < 0.06);
    const Table t = baseline_table(a, AnalyzeOptions{});
    REQUIRE(t.rows.size() == 1);
    const auto column = [&](const std::string& key) {
        for (std::size_t c = 0; c < t.columns.size(); ++c)
            if (t.columns[c].key == key) return c;
        throw std::runtime_error("no column " + key);
    };
    CHECK(t.rows[0][column("seeds")].text == "3 vs 3");
}

TEST_CASE("the reference family is every dense model, whatever its variant label", "[analysis][family]") {
    ScratchDir dir;
    // baseline d64 (30%, 1000 tok/s) and dense-2x d128 (40%, 500): both dense. AltUp K=2 d64
    // at 35%: against the dense family 1000 + (5/10)·(500 - 1000) = 750 tok/s, so 900 / 750 = 1.2;
    // against the baseline variant alone (one size, 30%) it is above the range.
    write_trial(dir.path(), {"s/b", "s", {{"variant", "baseline"}, {"seed", "1"}}, model_config(64, 1, 0), 0.30, 4.0, 1000}, "b");
    write_trial(dir.path(), {"s/d", "s", {{"variant", "dense-2x"}, {"seed", "1"}}, model_config(128, 1, 0), 0.40, 3.5, 500}, "d");
    write_trial(dir.path(), {"s/a", "s", {{"variant", "altup-k2"}, {"seed", "1"}}, model_config(64, 2, 0), 0.35, 3.7, 900}, "a");
    write_trial(dir.path(), {"s/m", "s", {{"variant", "moe"}, {"seed", "1"}}, model_config(64, 1, 4), 0.33, 3.8, 800}, "m");
    const Analysis a = analyze(dir.path(), AnalyzeOptions{});
    REQUIRE(a.iso.size() == 2);  // AltUp and MoE; dense-2x is a family member, not a method
    const IsoQualityRow* altup = nullptr;
    for (const IsoQualityRow& r : a.iso)
        if (a.groups[r.group].label("variant") == "altup-k2") altup = &r;
    REQUIRE(altup);
    CHECK(altup->baseline_family.size() == 2);
    CHECK(*altup->speedup == Approx(1.2));
    const Table t = iso_quality_table(a, AnalyzeOptions{});
    bool named = false;
    for (const std::string& n : t.notes) named = named || n.find("variant=dense-2x") != std::string::npos;
    CHECK(named);

    AnalyzeOptions only_baseline;
    only_baseline.family.match = {{"variant", "baseline"}};
    const Analysis b = analyze(dir.path(), only_baseline);
    REQUIRE(b.iso.size() == 3);  // dense-2x is now a method too
    for (const IsoQualityRow& r : b.iso)
        if (b.groups[r.group].label("variant") == "altup-k2") CHECK(r.baseline.status == IsoStatus::above_range);
}

TEST_CASE("power law over the family: exact on exact data, multiplier and its bootstrap interval", "[analysis][fit]") {
    // Members: error = 0.8 · (cost / 1e6)^-0.5, costs 1e6, 4e6, 16e6 FLOP/token: accuracies 0.2, 0.6, 0.8.
    const auto law = fit_power_law({{1e6, 0.2}, {4e6, 0.6}, {16e6, 0.8}}, true);
    REQUIRE(law);
    CHECK(law->exponent == Approx(-0.5));
    // At accuracy 0.7 (error 0.3): cost = 1e6 · (0.8 / 0.3)^2 = 7.1111e6.
    CHECK(cost_at(*law, 0.7, true) == Approx(1e6 * (0.8 / 0.3) * (0.8 / 0.3)));
    CHECK_FALSE(fit_power_law({{1e6, 0.2}, {1e6, 0.3}}, true));  // one cost
    CHECK_FALSE(fit_power_law({{1e6, 0.6}, {4e6, 0.2}}, true));  // worse with more cost

    ScratchDir dir;
    // FLOPs per step = FLOP/token · 16 · 128 tokens. Two seeds each, symmetric around the means above.
    const double tokens = 16 * 128;
    const struct { const char* name; int d; int k; double cost; double acc; } groups[] = {
        {"b64", 64, 1, 1e6, 0.2}, {"b128", 128, 1, 4e6, 0.6}, {"b256", 256, 1, 16e6, 0.8}, {"a64", 64, 2, 2e6, 0.7}};
    for (const auto& g : groups)
        for (int s : {1, 2}) {
            const std::string seed = std::to_string(s);
            const std::string variant = g.k > 1 ? "altup-k2" : std::string("baseline");
            Trial t{std::string("s/") + g.name + seed, "s", {{"variant", variant}, {"model.d_model", std::to_string(g.d)}, {"seed", seed}},
                    model_config(g.d, g.k, 0, 20, s), g.acc + (s == 1 ? -0.01 : 0.01)};
            t.flops_per_step = g.cost * tokens;
            write_trial(dir.path(), t, g.name + seed);
        }
    AnalyzeOptions o;
    o.fit = FitCost::flops;
    const Analysis a = analyze(dir.path(), o);
    REQUIRE(a.fit.size() == 1);
    const FitRow& r = a.fit[0];
    CHECK(r.status == FitRow::Status::fitted);
    CHECK(r.family.size() == 3);
    CHECK(r.cost == Approx(2e6));
    CHECK(*r.multiplier == Approx(1e6 * (0.8 / 0.3) * (0.8 / 0.3) / 2e6));  // 3.5556
    REQUIRE(r.interval);
    CHECK(r.interval->lo <= *r.multiplier);
    CHECK(r.interval->hi >= *r.multiplier);
    CHECK(r.interval->hi > r.interval->lo);  // seed noise gives the interval a width
    // Deterministic: the same interval again.
    const Analysis again = analyze(dir.path(), o);
    CHECK(again.fit[0].interval->lo == r.interval->lo);
    CHECK(again.fit[0].interval->hi == r.interval->hi);
    // A method outside the family's range (accuracies 0.2-0.8) is not extrapolated.
    ScratchDir out;
    for (const auto& g : groups) {
        Trial t{std::string("s/") + g.name, "s", {{"variant", g.k > 1 ? "altup-k2" : "baseline"}, {"model.d_model", std::to_string(g.d)}, {"seed", "1"}},
                model_config(g.d, g.k, 0), g.k > 1 ? 0.9 : g.acc};
        t.flops_per_step = g.cost * tokens;
        write_trial(out.path(), t, g.name);
    }
    const Analysis outside = analyze(out.path(), o);
    REQUIRE(outside.fit.size() == 1);
    CHECK(outside.fit[0].status == FitRow::Status::outside_range);
    CHECK_FALSE(outside.fit[0].multiplier);
}

TEST_CASE("percentile bootstrap is seeded and brackets the statistic", "[analysis][statistics]") {
    const std::vector<std::vector<double>> samples{{1, 2, 3, 4, 5, 6, 7, 8}};
    auto mean = [](const std::vector<std::vector<double>>& s) -> std::optional<double> {
        double sum = 0;
        for (double v : s[0]) sum += v;
        return sum / static_cast<double>(s[0].size());
    };
    const auto a = bootstrap_interval(samples, mean, 2000, 5);
    const auto b = bootstrap_interval(samples, mean, 2000, 5);
    REQUIRE(a);
    CHECK(a->lo == b->lo);
    CHECK(a->hi == b->hi);
    // The mean's standard error is 2.449 / sqrt(8) = 0.866 (population std of 1..8 is 2.291, times
    // sqrt(8/7)); a 95% percentile interval is about 4.5 ± 1.96 · 0.81 (the bootstrap uses the
    // population std): roughly [2.9, 6.1].
    CHECK(a->lo == Approx(2.9).margin(0.3));
    CHECK(a->hi == Approx(6.1).margin(0.3));
    CHECK(a->defined == 2000);
    // Undefined for most draws: no interval.
    auto rarely = [](const std::vector<std::vector<double>>& s) -> std::optional<double> {
        if (s[0][0] != 1) return std::nullopt;
        return 1.0;
    };
    CHECK_FALSE(bootstrap_interval(samples, rarely, 400, 5));
    CHECK(quantile({1, 2, 3, 4}, 0.5) == Approx(2.5));
    CHECK(quantile({10, 20}, 0.25) == Approx(12.5));
}
