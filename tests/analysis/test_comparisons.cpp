// Against-baseline deltas, the pivot, the iso-quality speedup and the Pareto front, worked by hand.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "analysis/analysis.hpp"
#include "analysis/label_order.hpp"
#include "analysis/pareto.hpp"
#include "analysis/report_tables.hpp"
#include "analysis_fixtures.hpp"

using namespace altup;
using namespace altup_test;

namespace {
const BaselineComparison& comparison(const Analysis& a, const std::string& preset) {
    for (const BaselineComparison& c : a.comparisons.rows)
        if (a.groups[c.group].label("model.preset") == preset) return c;
    throw std::runtime_error("no comparison for " + preset);
}
const IsoQualityRow& iso_row(const Analysis& a, const std::string& preset) {
    for (const IsoQualityRow& r : a.iso)
        if (a.groups[r.group].label("model.preset") == preset) return r;
    throw std::runtime_error("no iso-quality row for " + preset);
}
}  // namespace

TEST_CASE("deltas and speedups against the baseline of the same size", "[analysis]") {
    const Analysis a = analyze(kPaperRuns, AnalyzeOptions{});
    REQUIRE(a.comparisons.rows.size() == 3);
    CHECK(a.comparisons.without_baseline.empty());
    const BaselineComparison& tiny = comparison(a, "tiny");
    CHECK(a.groups[tiny.baseline].label("variant") == "baseline");
    CHECK(a.groups[tiny.baseline].label("model.preset") == "tiny");
    CHECK(*tiny.delta_accuracy_points == Approx(6.0));      // (0.37 - 0.31) · 100
    CHECK(*tiny.delta_loss == Approx(-0.25));               // 3.85 - 4.1
    CHECK(*tiny.train_speedup == Approx(900.0 / 1100.0));   // 0.8182×
    CHECK(*tiny.train_slowdown_percent == Approx(22.2222)); // (1100 / 900 - 1) · 100
    CHECK(*tiny.eval_speedup == Approx(2500.0 / 3100.0));
    CHECK(*tiny.eval_slowdown_percent == Approx(24.0));     // (3100 / 2500 - 1) · 100
    const BaselineComparison& base = comparison(a, "base");
    CHECK(*base.train_speedup == Approx(0.75));             // 150 / 200
    CHECK(*base.train_slowdown_percent == Approx(100.0 / 3.0));
}

TEST_CASE("standalone runs compare against the baseline config by name", "[analysis]") {
    AnalyzeOptions o;
    o.baseline = "my-baseline";
    const Analysis a = analyze(kStandaloneRuns, o);
    REQUIRE(a.comparisons.rows.size() == 1);
    const BaselineComparison& c = a.comparisons.rows[0];
    CHECK(*c.delta_accuracy_points == Approx(8.0));  // (0.40 - 0.32) · 100
    CHECK(*c.train_speedup == Approx(0.5));          // 600 / 1200
    CHECK(*c.train_slowdown_percent == Approx(100.0));
}

TEST_CASE("a method without a baseline of its size is listed, not compared", "[analysis]") {
    AnalyzeOptions o;
    o.baseline = "nonexistent";
    const Analysis a = analyze(kPaperRuns, o);
    CHECK(a.comparisons.rows.empty());
    CHECK(a.comparisons.without_baseline.size() == 6);
}

TEST_CASE("label values order presets by size, numbers by value, then text", "[analysis]") {
    CHECK(label_value_less("tiny", "small"));
    CHECK(label_value_less("base", "large"));
    CHECK(label_value_less("9", "10"));
    CHECK(label_value_less("2e-3", "0.01"));
    CHECK(label_value_less("large", "alpha"));
    CHECK(label_value_less("10", "alpha"));
    CHECK_FALSE(label_value_less("small", "small"));
}

TEST_CASE("pivot: methods by preset in size order, a zipped label does not split rows", "[analysis]") {
    const Analysis a = analyze(kPaperRuns, AnalyzeOptions{});
    REQUIRE(a.pivot);
    const PivotTable& p = *a.pivot;
    CHECK(p.key == "model.preset");
    CHECK(p.column_values == std::vector<std::string>{"tiny", "small", "base"});
    CHECK(p.companions == std::vector<std::string>{"train.lr"});
    CHECK(p.row_keys == std::vector<std::string>{"variant"});
    REQUIRE(p.rows.size() == 2);
    CHECK(p.rows[0].labels.at("variant") == "baseline");
    CHECK(p.rows[1].labels.at("variant") == "altup-k2");
    REQUIRE(p.rows[1].cells[1]);
    CHECK(*a.groups[*p.rows[1].cells[1]].stat(Metric::token_accuracy).mean == Approx(0.46));
}

TEST_CASE("pivot on another label, and none", "[analysis]") {
    AnalyzeOptions o;
    o.pivot_key = "train.lr";
    const Analysis by_lr = analyze(kPaperRuns, o);
    REQUIRE(by_lr.pivot);
    CHECK(by_lr.pivot->column_values == std::vector<std::string>{"0.001", "0.002", "0.003"});
    o.pivot_key = "none";
    CHECK_FALSE(analyze(kPaperRuns, o).pivot.has_value());
}

TEST_CASE("baseline speed at an accuracy: piecewise-linear, ranges marked, extrapolation only on request", "[analysis]") {
    const std::vector<QualitySpeedPoint> family{{0.50, 200}, {0.31, 1100}, {0.40, 500}};  // unsorted on purpose
    // 0.37 lies on (0.31, 1100)-(0.40, 500): 1100 + (0.06 / 0.09) · (500 - 1100) = 700.
    BaselineSpeedAt at = baseline_speed_at(family, 0.37, false);
    CHECK(at.status == IsoStatus::interpolated);
    CHECK(*at.speed == Approx(700));
    CHECK(*baseline_speed_at(family, 0.40, false).speed == Approx(500));  // a knot
    at = baseline_speed_at(family, 0.55, false);
    CHECK(at.status == IsoStatus::above_range);
    CHECK_FALSE(at.speed.has_value());
    CHECK(at.range_min == Approx(0.31));
    CHECK(at.range_max == Approx(0.50));
    // Extrapolated along the last segment: 200 + (0.05 / 0.10) · (200 - 500) = 50.
    at = baseline_speed_at(family, 0.55, true);
    CHECK(at.status == IsoStatus::extrapolated);
    CHECK(*at.speed == Approx(50));
    CHECK(baseline_speed_at(family, 0.25, false).status == IsoStatus::below_range);
    // Along the first segment: 1100 + (-0.06 / 0.09) · (500 - 1100) = 1500.
    CHECK(*baseline_speed_at(family, 0.25, true).speed == Approx(1500));
    CHECK(baseline_speed_at({}, 0.3, true).status == IsoStatus::no_baseline);
}

TEST_CASE("baseline points of equal accuracy are averaged", "[analysis]") {
    // (0.3, 1000) and (0.3, 800) merge into (0.3, 900); at 0.4: 900 + 0.5 · (200 - 900) = 550.
    const BaselineSpeedAt at = baseline_speed_at({{0.3, 1000}, {0.3, 800}, {0.5, 200}}, 0.4, false);
    CHECK(*at.speed == Approx(550));
}

TEST_CASE("iso-quality speedups of the fixture sweep", "[analysis]") {
    const Analysis a = analyze(kPaperRuns, AnalyzeOptions{});
    REQUIRE(a.iso.size() == 3);
    const IsoQualityRow& tiny = iso_row(a, "tiny");
    CHECK(tiny.baseline_family.size() == 3);  // the baseline over tiny/small/base, train.lr following
    CHECK(*tiny.baseline.speed == Approx(700));
    CHECK(*tiny.speedup == Approx(900.0 / 700.0));  // 1.2857×, "+28.6%"
    CHECK(*tiny.speedup_percent == Approx(28.5714));
    const IsoQualityRow& small = iso_row(a, "small");  // 500 + (0.06 / 0.10) · (200 - 500) = 320
    CHECK(*small.speedup == Approx(400.0 / 320.0));
    const IsoQualityRow& base = iso_row(a, "base");    // 55% is above the baseline's 31–50%
    CHECK(base.baseline.status == IsoStatus::above_range);
    CHECK_FALSE(base.speedup.has_value());
    // Better than the best baseline (50% at 200 tok/s) at 150 tok/s: speedup > 150 / 200.
    REQUIRE(base.bound == IsoQualityRow::Bound::lower);
    CHECK(a.groups[*base.bound_by].label("model.preset") == "base");
    CHECK(*base.speedup_bound == Approx(0.75));
    AnalyzeOptions o;
    o.extrapolate = true;
    const Analysis e = analyze(kPaperRuns, o);
    CHECK(iso_row(e, "base").baseline.status == IsoStatus::extrapolated);
    CHECK(*iso_row(e, "base").speedup == Approx(3.0));  // 150 / 50
    CHECK(iso_row(e, "base").bound == IsoQualityRow::Bound::none);  // a number, so no bound
}

namespace {

// One completed result with just what grouping and iso-quality read.
void write_sized_result(const std::string& dir, const std::string& variant, const std::string& preset, double accuracy,
                        double loss, double tokens_per_s) {
    const nlohmann::json r = {
        {"schema_version", 1}, {"trial_id", variant + "-" + preset}, {"name", "n"}, {"sweep", "sizes"},
        {"labels", {{"variant", variant}, {"model.preset", preset}, {"seed", "1"}}}, {"status", "completed"},
        {"message", ""}, {"diverged_at_step", nullptr}, {"config", nlohmann::json::object()},
        {"params", {{"total", 1000}, {"embedding", 600}, {"non_embedding", 400}, {"altup_scalars", 0}}},
        {"quality", {{"eval_loss", loss}, {"perplexity", 50.0}, {"token_accuracy", accuracy}, {"curve", nlohmann::json::array()}}},
        {"train", {{"steps_done", 200}, {"wall_time_s", 30.0}}},
        {"speed", {{"train_tokens_per_s", tokens_per_s}, {"ms_per_step", {{"median", 100}}}, {"eval_tokens_per_s", 3000}}}};
    write_text(dir + "/" + variant + "-" + preset + "/result.json", r.dump(2));
}

}  // namespace

TEST_CASE("iso-quality reads only the baseline family's Pareto front", "[analysis]") {
    // Baseline tiny (30%, 1000 tok/s), small (50%, 200), base (25%, 100): base is
    // undertrained, worse and slower than tiny, so it is off the front. Through all
    // three sorted by accuracy, AltUp-base at 28% would read 100 + (3/5)·(1000 - 100)
    // = 640 tok/s, a curve that bends back; on the front it is below the range and
    // tiny beats it on both axes: speedup < 80/1000. AltUp-tiny at 40% reads
    // 1000 + (10/20)·(200 - 1000) = 600 either way: 900/600 = 1.5.
    ScratchDir dir;
    write_sized_result(dir.path(), "baseline", "tiny", 0.30, 4.0, 1000);
    write_sized_result(dir.path(), "baseline", "small", 0.50, 3.0, 200);
    write_sized_result(dir.path(), "baseline", "base", 0.25, 4.2, 100);
    write_sized_result(dir.path(), "altup-k2", "tiny", 0.40, 3.5, 900);
    write_sized_result(dir.path(), "altup-k2", "base", 0.28, 4.1, 80);
    AnalyzeOptions o;
    o.baseline = "baseline";
    const Analysis a = analyze(dir.path(), o);
    const IsoQualityRow& tiny = iso_row(a, "tiny");
    REQUIRE(tiny.baseline_family.size() == 2);
    REQUIRE(tiny.dominated_family.size() == 1);
    CHECK(a.groups[tiny.dominated_family[0]].label("model.preset") == "base");
    CHECK(*tiny.speedup == Approx(1.5));
    CHECK(tiny.bound == IsoQualityRow::Bound::none);
    const IsoQualityRow& base = iso_row(a, "base");
    CHECK(base.baseline.status == IsoStatus::below_range);
    CHECK(base.baseline.range_min == Approx(0.30));
    CHECK_FALSE(base.speedup.has_value());
    REQUIRE(base.bound == IsoQualityRow::Bound::upper);
    CHECK(a.groups[*base.bound_by].label("model.preset") == "tiny");
    CHECK(*base.speedup_bound == Approx(0.08));
    const Table t = iso_quality_table(a, o);
    bool noted = false;
    for (const std::string& n : t.notes) noted = noted || n.find("model.preset=base") != std::string::npos;
    CHECK(noted);

    // A one-size family shows no trend of speed against quality: no lower bound.
    ScratchDir one;
    write_sized_result(one.path(), "baseline", "tiny", 0.30, 4.0, 1000);
    write_sized_result(one.path(), "altup-k2", "tiny", 0.40, 3.5, 900);
    const IsoQualityRow& single = iso_row(analyze(one.path(), o), "tiny");
    CHECK(single.baseline.status == IsoStatus::above_range);
    CHECK(single.bound == IsoQualityRow::Bound::none);

    // On eval loss lower is better: base (4.2 at 100 tok/s) is again off the front.
    o.metric = Metric::eval_loss;
    const Analysis by_loss = analyze(dir.path(), o);
    const IsoQualityRow& loss_tiny = iso_row(by_loss, "tiny");
    REQUIRE(loss_tiny.dominated_family.size() == 1);
    CHECK(by_loss.groups[loss_tiny.dominated_family[0]].label("model.preset") == "base");
    // 3.5 lies halfway between tiny (4.0, 1000) and small (3.0, 200): 600 tok/s.
    CHECK(*loss_tiny.speedup == Approx(1.5));
}

TEST_CASE("Pareto front: nothing faster is also better", "[analysis]") {
    const std::vector<SpeedQualityPoint> points{{1000, 30}, {900, 37}, {500, 40}, {400, 35}, {900, 36}};
    // (400, 35) is beaten by (500, 40); (900, 36) by (900, 37).
    CHECK(pareto_front(points, true) == std::vector<std::size_t>{2, 1, 0});
    // As losses (lower is better): (1000, 30) is both the fastest and the lowest, so it beats all.
    CHECK(pareto_front(points, false) == std::vector<std::size_t>{0});
}
