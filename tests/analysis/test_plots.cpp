// Figures need gnuplot (Debian gnuplot-nox; scripts/install-deps.sh installs it).
#include <catch2/catch.hpp>

#include <cmath>
#include <filesystem>

#include <nlohmann/json.hpp>

#include "analysis/analysis_error.hpp"
#include "analysis/gnuplot_runner.hpp"
#include "analysis/plots.hpp"
#include "analysis/report.hpp"
#include "analysis_fixtures.hpp"

using namespace altup;
using namespace altup_test;

TEST_CASE("mean loss curve over seeds at the steps every seed evaluated", "[analysis]") {
    const Analysis a = analyze(kPaperRuns, AnalyzeOptions{});
    // baseline tiny: seed 1 (100, 10 s, 5.0), (200, 20 s, 4.0); seed 2 (100, 12 s, 5.2), (200, 24 s, 4.2).
    const auto curve = mean_curve(a.groups[0]);
    REQUIRE(curve.size() == 2);
    CHECK(curve[0].step == 100);
    CHECK(*curve[0].time_s == Approx(11));
    CHECK(curve[0].loss == Approx(5.1));
    CHECK(curve[1].loss == Approx(4.1));
    // The band: sample std of {5.0, 5.2} = 0.1414.
    REQUIRE(curve[0].stddev);
    CHECK(*curve[0].stddev == Approx(std::sqrt(0.02)));
}

TEST_CASE("figures: a colour-blind-safe palette, seed bands, training loss, log axes on request, speed from 0",
          "[analysis][gnuplot]") {
    REQUIRE_FALSE(find_executable("gnuplot").empty());
    ScratchDir dir;
    // Two seeds of one method with eval and training lines in metrics.jsonl.
    const std::string runs = dir.path() + "/runs";
    for (int seed : {1, 2}) {
        nlohmann::json r = nlohmann::json::parse(slurp(kPaperRuns + "/at1/result.json"));
        r["trial_id"] = "t" + std::to_string(seed);
        r["labels"] = {{"variant", "baseline"}, {"seed", std::to_string(seed)}};
        r["quality"].erase("curve");
        std::string lines;
        for (int step = 10; step <= 100; step += 10)
            lines += nlohmann::json({{"kind", "train"}, {"step", step}, {"loss", 6.0 - step / 100.0 + seed * 0.01}, {"time_s", step * 0.1}}).dump() + "\n";
        for (int step : {50, 100})
            lines += nlohmann::json({{"kind", "eval"}, {"step", step}, {"loss", 5.5 - step / 100.0 + seed * 0.1}, {"time_s", step * 0.1}}).dump() + "\n";
        write_text(runs + "/t" + std::to_string(seed) + "/result.json", r.dump());
        write_text(runs + "/t" + std::to_string(seed) + "/metrics.jsonl", lines);
    }
    AnalyzeOptions o;
    const Analysis a = analyze(runs, o);
    REQUIRE(write_plots(a, o, dir.path() + "/linear").figures.size() == 4);
    const std::string step = slurp(dir.path() + "/linear/loss_vs_step.gp");
    CHECK_THAT(step, Catch::Contains("set linetype 1 lc rgb '#0072B2'"));
    CHECK_THAT(step, !Catch::Contains("#F0E442"));  // Okabe-Ito's yellow, too faint on white
    CHECK_THAT(step, Catch::Contains("with filledcurves fs transparent solid 0.15"));  // the seeds' band
    // Eval at step 50: mean of 5.1 and 5.2 = 5.15 ± 0.0707 (sample std).
    CHECK_THAT(step, Catch::Contains("50 5 5.15 5.07928932188"));
    // Training loss: the seeds' mean, a moving average over up to 9 logged steps: step 10 averages steps 10..50, step 20 steps 10..60.
    CHECK_THAT(step, Catch::Contains("$t0 << EOD\n10 1 5.715\n20 2 5.665\n"));
    CHECK_THAT(step, !Catch::Contains("logscale"));
    const std::string speed = slurp(dir.path() + "/linear/accuracy_vs_speed.gp");
    CHECK_THAT(speed, Catch::Contains("set offsets 0, graph 0.08") && Catch::Contains("set xrange [0:*]"));

    o.plot_log_x = o.plot_log_y = true;
    REQUIRE(write_plots(a, o, dir.path() + "/log").figures.size() == 4);
    CHECK_THAT(slurp(dir.path() + "/log/loss_vs_step.gp"), Catch::Contains("set logscale x\nset logscale y\n"));
    CHECK_THAT(slurp(dir.path() + "/log/accuracy_vs_speed.gp"), Catch::Contains("set logscale x") && !Catch::Contains("[0:*]"));
}

TEST_CASE("a loss curve identical to one drawn before it says so in the legend (it would hide under it)", "[analysis][gnuplot]") {
    REQUIRE_FALSE(find_executable("gnuplot").empty());
    ScratchDir dir;
    const std::string runs = dir.path() + "/runs";
    // baseline and twin: the same eval losses; other: different ones.
    for (const auto& [variant, offset] : std::vector<std::pair<std::string, double>>{{"baseline", 0}, {"twin", 0}, {"other", 0.3}}) {
        nlohmann::json r = nlohmann::json::parse(slurp(kPaperRuns + "/at1/result.json"));
        r["trial_id"] = "t-" + variant;
        r["labels"] = {{"variant", variant}, {"seed", "1"}};
        r["quality"].erase("curve");
        std::string lines;
        for (int step : {50, 100})
            lines += nlohmann::json({{"kind", "eval"}, {"step", step}, {"loss", 5.5 - step / 100.0 + offset}, {"time_s", step * 0.1}}).dump() + "\n";
        write_text(runs + "/t-" + variant + "/result.json", r.dump());
        write_text(runs + "/t-" + variant + "/metrics.jsonl", lines);
    }
    AnalyzeOptions o;
    const Analysis a = analyze(runs, o);
    write_plots(a, o, dir.path() + "/fig");
    const std::string step = slurp(dir.path() + "/fig/loss_vs_step.gp");
    const auto first = step.find("(same curve as ");
    REQUIRE(first != std::string::npos);
    CHECK(step.find("(same curve as ", first + 1) == std::string::npos);  // only the twin's entry
    // Whichever of the two is drawn second names the first; `other` names nobody.
    CHECK_THAT(step, Catch::Contains("twin (same curve as baseline)") || Catch::Contains("baseline (same curve as twin)"));
    CHECK_THAT(step, !Catch::Contains("other (same"));
}

TEST_CASE("a missing gnuplot is a clear error naming the package", "[analysis]") {
    ScratchDir dir;
    AnalyzeOptions o;
    o.gnuplot = "/nonexistent/gnuplot";
    const Analysis a = analyze(kPaperRuns, o);
    CHECK_THROWS_WITH(write_plots(a, o, dir.path() + "/plots"), Catch::Contains("gnuplot-nox"));
    CHECK_FALSE(std::filesystem::exists(dir.path() + "/plots"));
}

TEST_CASE("gnuplot draws every figure as SVG and PNG", "[analysis][gnuplot]") {
    INFO("gnuplot is required: apt-get install gnuplot-nox");
    REQUIRE_FALSE(find_executable("gnuplot").empty());
    ScratchDir dir;
    const Analysis a = analyze(kPaperRuns, AnalyzeOptions{});
    const PlotResult plots = write_plots(a, AnalyzeOptions{}, dir.path());
    CHECK(plots.notes.empty());
    REQUIRE(plots.figures.size() == 4);
    for (const Figure& f : plots.figures) {
        INFO(f.name);
        const std::string svg = slurp(f.svg_path);
        CHECK_THAT(svg, Catch::Contains("<svg"));
        CHECK_THAT(svg, Catch::Contains("</svg>"));
        const std::string png = slurp(f.png_path);
        CHECK(png.substr(0, 8) == std::string("\x89PNG\r\n\x1a\n", 8));
        CHECK(std::filesystem::exists(dir.path() + "/" + f.name + ".gp"));  // kept for editing
    }
    // Nothing half-written is left behind.
    for (const auto& entry : std::filesystem::directory_iterator(dir.path()))
        CHECK(entry.path().string().find(".tmp") == std::string::npos);
}

TEST_CASE("the HTML report embeds its figures as data: URIs", "[analysis][gnuplot]") {
    REQUIRE_FALSE(find_executable("gnuplot").empty());
    ReportRequest r;
    r.format = ReportFormat::html;
    const std::string html = render_report(analyze(kPaperRuns, AnalyzeOptions{}), AnalyzeOptions{}, r).text;
    std::size_t images = 0;
    for (std::size_t at = html.find("src=\"data:image/svg+xml;base64,"); at != std::string::npos;
         at = html.find("src=\"data:image/svg+xml;base64,", at + 1))
        ++images;
    CHECK(images == 4);
}
