// Figures need gnuplot (Debian gnuplot-nox; scripts/install-deps.sh installs it).
#include <catch2/catch.hpp>

#include <filesystem>

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
