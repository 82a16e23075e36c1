// `altup analyze --split test`: every quality number, comparison and table
// reads the final test evaluation (result.json quality.test) instead of the
// validation one, worked by hand on results whose two splits disagree.
#include <catch2/catch.hpp>

#include <cmath>

#include <nlohmann/json.hpp>

#include "analysis/analysis.hpp"
#include "analysis/report.hpp"
#include "analysis_fixtures.hpp"

using namespace altup;
using namespace altup_test;

namespace {

// A completed result of `variant` at `seed` with the given validation and test quality.
void write_trial(const std::string& runs, const std::string& variant, int seed, double valid_loss, double valid_acc,
                 double test_loss, double test_acc) {
    nlohmann::json r = nlohmann::json::parse(slurp(kPaperRuns + "/ab1/result.json"));
    const std::string id = variant + "-" + std::to_string(seed);
    r["trial_id"] = id;
    r["labels"] = {{"variant", variant}, {"model.preset", "tiny"}, {"seed", std::to_string(seed)}};
    r["quality"]["eval_loss"] = valid_loss;
    r["quality"]["token_accuracy"] = valid_acc;
    r["quality"]["perplexity"] = std::exp(valid_loss);
    r["quality"]["test"] = {{"loss", test_loss}, {"perplexity", std::exp(test_loss)}, {"token_accuracy", test_acc}};
    write_text(runs + "/" + id + "/result.json", r.dump(2));
}

// Validation says altup-k2 is better by 0.2 nats; test says it is worse by 0.1.
void write_runs(const std::string& runs) {
    write_trial(runs, "baseline", 1, 4.0, 0.30, 4.10, 0.29);
    write_trial(runs, "baseline", 2, 4.2, 0.32, 4.30, 0.31);
    write_trial(runs, "altup-k2", 1, 3.8, 0.34, 4.20, 0.28);
    write_trial(runs, "altup-k2", 2, 4.0, 0.36, 4.40, 0.30);
}

const Group& group_of(const Analysis& a, const std::string& variant) {
    for (const Group& g : a.groups)
        if (g.label("variant") == variant) return g;
    throw std::runtime_error("no group " + variant);
}

}  // namespace

TEST_CASE("on_split pairs the three pretraining quality metrics and leaves the rest alone", "[analysis][split]") {
    CHECK(on_split(Metric::eval_loss, EvalSplit::test) == Metric::test_loss);
    CHECK(on_split(Metric::token_accuracy, EvalSplit::test) == Metric::test_accuracy);
    CHECK(on_split(Metric::perplexity, EvalSplit::test) == Metric::test_perplexity);
    CHECK(on_split(Metric::test_loss, EvalSplit::valid) == Metric::eval_loss);
    CHECK(on_split(Metric::downstream_accuracy, EvalSplit::test) == Metric::downstream_accuracy);
    CHECK(on_split(Metric::train_tokens_per_s, EvalSplit::test) == Metric::train_tokens_per_s);
    CHECK_FALSE(higher_is_better(Metric::test_loss));
    CHECK(higher_is_better(Metric::test_accuracy));
}

TEST_CASE("with split test, the methods are compared on the test evaluation, not the validation one", "[analysis][split]") {
    ScratchDir dir;
    REQUIRE(!dir.path().empty());
    const std::string runs = dir.path() + "/runs";
    write_runs(runs);

    const Analysis valid = analyze(runs, AnalyzeOptions{});
    REQUIRE(valid.comparisons.rows.size() == 1);
    CHECK(*valid.comparisons.rows[0].delta_loss == Approx(-0.2));              // 3.9 - 4.1
    CHECK(*valid.comparisons.rows[0].delta_accuracy_points == Approx(4.0));    // (0.35 - 0.31) · 100

    AnalyzeOptions o;
    o.split = EvalSplit::test;
    const Analysis test = analyze(runs, o);
    CHECK(test.metric == Metric::test_accuracy);  // the default metric, taken on the test split
    REQUIRE(test.comparisons.rows.size() == 1);
    const BaselineComparison& c = test.comparisons.rows[0];
    CHECK(*c.delta_loss == Approx(0.1));                   // 4.30 - 4.20
    CHECK(*c.delta_accuracy_points == Approx(-1.0));       // (0.29 - 0.30) · 100
    // Welch on the test losses {4.2, 4.4} vs {4.1, 4.3}: equal spreads (s² = 0.02 each), t = 0.1 / 0.1414 = 0.7071,
    // 2 degrees of freedom: p = 1 - 0.7071 / sqrt(2 + 0.5) = 0.5528 (two-sided t with 2 df: p = 1 - |t| / sqrt(2 + t²)).
    REQUIRE(c.loss_test);
    CHECK(c.loss_test->p == Approx(1.0 - 0.70710678 / std::sqrt(2.5)).epsilon(1e-6));
    CHECK(*group_of(test, "baseline").stat(Metric::test_loss).mean == Approx(4.2));
    CHECK(*group_of(test, "altup-k2").stat(Metric::test_perplexity).mean == Approx((std::exp(4.2) + std::exp(4.4)) / 2));

    // An explicit validation metric asked for with --split test is read on the test split.
    o.metric = Metric::eval_loss;
    CHECK(analyze(runs, o).metric == Metric::test_loss);

    ReportRequest md;
    const std::string text = render_report(test, o, md).text;
    CHECK_THAT(text, Catch::Contains("Δ test loss"));
    CHECK_THAT(text, Catch::Contains("p (Δ test accuracy)"));
    CHECK_THAT(text, !Catch::Contains("Δ eval loss"));
    ReportRequest js;
    js.format = ReportFormat::json;
    CHECK(nlohmann::json::parse(render_report(test, o, js).text)["split"] == "test");
}

TEST_CASE("results written before the test evaluation existed have no test metrics, and say nothing", "[analysis][split]") {
    AnalyzeOptions o;
    o.split = EvalSplit::test;
    const Analysis a = analyze(kPaperRuns, o);  // the fixture's quality.test is null
    REQUIRE(!a.groups.empty());
    for (const Group& g : a.groups) CHECK(g.stat(Metric::test_loss).n == 0);
    for (const BaselineComparison& c : a.comparisons.rows) CHECK_FALSE(c.delta_loss.has_value());
}
