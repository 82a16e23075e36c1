// Grouping over seeds and the statistics of each group, against numbers worked out by hand.
#include <catch2/catch.hpp>

#include <cmath>

#include "analysis/grouping.hpp"
#include "analysis/statistics.hpp"
#include "analysis_fixtures.hpp"

using namespace altup;
using namespace altup_test;

namespace {
const Group& find(const std::vector<Group>& groups, const std::string& variant, const std::string& preset) {
    for (const Group& g : groups)
        if (g.label("variant") == variant && g.label("model.preset") == preset) return g;
    throw std::runtime_error("no group " + variant + "/" + preset);
}
std::vector<Group> paper_groups() { return group_trials(load_results(kPaperRuns).trials, "variant", "baseline"); }
}  // namespace

TEST_CASE("summary: mean, sample std (n-1) and 95% t half-width", "[analysis]") {
    // (0.30, 0.32): mean 0.31; std = sqrt((0.01² + 0.01²) / 1) = 0.0141421;
    // half-width = t(0.975, 1) · std / √2 = 12.7062 · 0.01 = 0.127062.
    const Summary s = summarize({0.30, 0.32});
    CHECK(s.n == 2);
    CHECK(*s.mean == Approx(0.31));
    CHECK(*s.stddev == Approx(std::sqrt(2e-4)));
    CHECK(*s.ci95 == Approx(0.127062));
    // (800, 900, 1000): std = sqrt((100² + 0 + 100²) / 2) = 100; half-width 4.3027 · 100 / √3 = 248.416.
    const Summary t = summarize({800, 900, 1000});
    CHECK(*t.stddev == Approx(100));
    CHECK(*t.ci95 == Approx(248.416).epsilon(1e-5));
}

TEST_CASE("one seed has a mean but no spread, no seed has nothing", "[analysis]") {
    const Summary one = summarize({0.5});
    CHECK(*one.mean == 0.5);
    CHECK_FALSE(one.stddev.has_value());
    CHECK_FALSE(one.ci95.has_value());
    const Summary none = summarize({});
    CHECK(none.n == 0);
    CHECK_FALSE(none.mean.has_value());
}

TEST_CASE("Student t quantiles match the printed table to its 4 decimals", "[analysis]") {
    CHECK(student_t_975(1) == Approx(12.7062));
    CHECK(student_t_975(4) == Approx(2.7764).margin(1e-4));
    CHECK(student_t_975(30) == Approx(2.0423).margin(1e-4));
    CHECK(student_t_975(40) == Approx(2.0211).margin(2e-4));    // tabulated t(0.975, 40)
    CHECK(student_t_975(120) == Approx(1.9799).margin(2e-4));   // tabulated t(0.975, 120)
}

TEST_CASE("trials differing only in seed form a group, groups sort baseline first, presets by size", "[analysis]") {
    const auto groups = paper_groups();
    REQUIRE(groups.size() == 6);
    CHECK(groups[0].label("variant") == "baseline");
    CHECK(groups[0].label("model.preset") == "tiny");
    CHECK(groups[1].label("model.preset") == "small");
    CHECK(groups[2].label("model.preset") == "base");
    CHECK(groups[3].label("variant") == "altup-k2");
    CHECK_FALSE(groups[0].labels.count("seed"));
}

TEST_CASE("group statistics of the fixture sweep", "[analysis]") {
    const auto groups = paper_groups();
    const Group& bt = find(groups, "baseline", "tiny");
    CHECK(bt.trials.size() == 2);
    // loss (4.0, 4.2): mean 4.1, std 0.141421; tok/s (1000, 1200): 1100 ± 141.421; ms (100, 80): 90.
    CHECK(*bt.stat(Metric::eval_loss).mean == Approx(4.1));
    CHECK(*bt.stat(Metric::eval_loss).stddev == Approx(0.141421).epsilon(1e-5));
    CHECK(*bt.stat(Metric::train_tokens_per_s).mean == Approx(1100));
    CHECK(*bt.stat(Metric::train_tokens_per_s).stddev == Approx(141.421).epsilon(1e-5));
    CHECK(*bt.stat(Metric::ms_per_step).mean == Approx(90));
    CHECK(*bt.stat(Metric::eval_tokens_per_s).mean == Approx(3100));
    const Group& at = find(groups, "altup-k2", "tiny");
    CHECK(at.trials.size() == 3);
    // accuracy (0.36, 0.37, 0.38): 0.37 ± 0.01; ms (125, 111.1, 100): 112.0333.
    CHECK(*at.stat(Metric::token_accuracy).mean == Approx(0.37));
    CHECK(*at.stat(Metric::token_accuracy).stddev == Approx(0.01));
    CHECK(*at.stat(Metric::ms_per_step).mean == Approx(112.0333).epsilon(1e-6));
    CHECK(*at.stat(Metric::altup_scalars).mean == 24);
    CHECK(*at.stat(Metric::params_non_embedding).mean == 424);
    // The broken/unfinished files in the fixture (seeds 7, 8, 9) changed nothing: base has one seed.
    const Group& bb = find(groups, "baseline", "base");
    CHECK(bb.stat(Metric::token_accuracy).n == 1);
    CHECK_FALSE(bb.stat(Metric::token_accuracy).stddev.has_value());
}

TEST_CASE("standalone runs (no labels) are grouped by config name", "[analysis]") {
    const auto groups = group_trials(load_results(kStandaloneRuns).trials, "variant", "my-baseline");
    REQUIRE(groups.size() == 2);
    CHECK(groups[0].standalone);
    CHECK(method_of(groups[0], "variant") == "my-baseline");  // the baseline sorts first
    CHECK(groups[0].trials.size() == 2);
    CHECK(*groups[0].stat(Metric::token_accuracy).mean == Approx(0.32));
    CHECK(method_of(groups[1], "variant") == "wide");
}
