// The report formats and the command line, on the fixture sweep.
#include <catch2/catch.hpp>

#include <regex>

#include <nlohmann/json.hpp>

#include "analysis/analyze_command.hpp"
#include "analysis/latex_table.hpp"
#include "analysis/report.hpp"
#include "analysis/report_tables.hpp"
#include "analysis_fixtures.hpp"

using namespace altup;
using namespace altup_test;

namespace {
std::string report(ReportFormat format, const std::string& table = "", AnalyzeOptions o = {}) {
    ReportRequest r;
    r.format = format;
    r.table = table;
    return render_report(analyze(kPaperRuns, o), o, r).text;
}
}  // namespace

TEST_CASE("markdown: group, baseline, pivot, iso-quality and skipped tables", "[analysis]") {
    const std::string md = report(ReportFormat::markdown);
    CHECK_THAT(md, Catch::Contains("| baseline | tiny | 0.003 | 2 | 4.100 ± 0.141 | 60.64 ± 8.55 | 31.00 ± 1.41 | 1100 ± 141 | 90.0 ± 14.1 |"));
    CHECK_THAT(md, Catch::Contains("| altup-k2 | tiny | 0.003 | 6.00 | -0.250 | 0.818 | 22.2 | 0.806 | 24.0 |"));
    CHECK_THAT(md, Catch::Contains("| variant | tiny | small | base |"));
    CHECK_THAT(md, Catch::Contains("| altup-k2 | 37.00 ± 1.00 | 46.00 ± 1.41 | 55.00 |"));
    CHECK_THAT(md, Catch::Contains("| altup-k2 | tiny | 0.003 | 37.00 | 900 | 700 | 1.286 | 28.6 | interpolated |"));
    CHECK_THAT(md, Catch::Contains("above the family's range (family accuracy 31.00–50.00%): not extrapolated"));
    CHECK_THAT(md, Catch::Contains("altup-k2: up to +28.6% iso-quality training speed"));
    CHECK_THAT(md, Catch::Contains("x-failed/result.json | failed: out of memory |"));
}

TEST_CASE("confidence intervals and extrapolation are marked in the text", "[analysis]") {
    AnalyzeOptions o;
    o.confidence_intervals = true;
    o.extrapolate = true;
    // 31.00 ± 1.41 with half-width 12.7062 · 1.41421 / √2 = 12.71: [18.29, 43.71].
    CHECK_THAT(report(ReportFormat::markdown, "pivot", o), Catch::Contains("31.00 ± 1.41 [18.29, 43.71]"));
    CHECK_THAT(report(ReportFormat::markdown, "iso_quality", o), Catch::Contains("| 50† | 3.000† | 200.0† | † extrapolated"));
}

TEST_CASE("csv: stat columns split into mean, std and n", "[analysis]") {
    const std::string csv = report(ReportFormat::csv, "groups");
    CHECK(csv.rfind("variant,model.preset,train.lr,seeds,eval_loss_mean,eval_loss_std,eval_loss_n,", 0) == 0);
    CHECK_THAT(csv, Catch::Contains("\nbaseline,tiny,0.003,2,4.1,0.141421356237,2,"));
    // The base baseline has one seed: its std is empty, not 0.
    CHECK_THAT(csv, Catch::Contains("\nbaseline,base,0.001,1,3,,1,"));
    // Several tables in one CSV would read as one ragged frame: refused, naming the fix.
    CHECK_THROWS_WITH(report(ReportFormat::csv), Catch::Contains("one table per file: add --table ID"));
}

TEST_CASE("latex: booktabs rules, math-mode numbers, escaped text", "[analysis]") {
    const std::string tex = report(ReportFormat::latex, "pivot");
    CHECK_THAT(tex, Catch::Contains("\\toprule"));
    CHECK_THAT(tex, Catch::Contains("\\midrule"));
    CHECK_THAT(tex, Catch::Contains("\\bottomrule"));
    CHECK_THAT(tex, Catch::Contains("altup-k2 & $37.00 \\pm 1.00$ & $46.00 \\pm 1.41$ & $55.00$ \\\\"));
    CHECK(escape_latex("a_b 50% #1 {x}") == "a\\_b 50\\% \\#1 \\{x\\}");
}

TEST_CASE("json: raw units, every section", "[analysis]") {
    const auto j = nlohmann::json::parse(report(ReportFormat::json));
    CHECK(j["groups"].size() == 6);
    CHECK(j["groups"][0]["labels"]["model.preset"] == "tiny");
    CHECK(j["groups"][0]["metrics"]["token_accuracy"]["mean"].get<double>() == Approx(0.31));
    CHECK(j["groups"][2]["metrics"]["token_accuracy"]["std"].is_null());  // base: one seed
    CHECK(j["relative"][0]["delta_accuracy_points"].get<double>() == Approx(6.0));
    CHECK(j["pivot"]["columns"] == nlohmann::json({"tiny", "small", "base"}));
    CHECK(j["iso_quality"]["rows"][2]["status"] == "above_range");
    CHECK(j["skipped"].size() == 6);
}

TEST_CASE("html: one page that references no external resource", "[analysis]") {
    const std::string html = report(ReportFormat::html);
    CHECK(html.rfind("<!DOCTYPE html>", 0) == 0);
    CHECK_THAT(html, Catch::Contains("<td class=\"num\">37.00 ± 1.00</td>"));
    const std::regex external(R"((src|href)\s*=\s*["']?\s*(https?:)?//)", std::regex::icase);
    CHECK_FALSE(std::regex_search(html, external));
    CHECK_THAT(html, !Catch::Contains("<link", Catch::CaseSensitive::No));
    CHECK_THAT(html, !Catch::Contains("<script", Catch::CaseSensitive::No));
    CHECK_THAT(html, !Catch::Contains("@import"));
    CHECK_THAT(html, !Catch::Contains("url("));
}

TEST_CASE("the sweep runner's summary table", "[analysis]") {
    const std::string md = render_summary_table(kPaperRuns, AnalyzeOptions{});
    CHECK_THAT(md, Catch::Contains("| altup-k2 | tiny | 0.003 | 3 | 3.850 ± 0.050 | 37.00 ± 1.00 | 900 ± 100 | 6.00 | 0.818 |"));
    CHECK_THAT(md, Catch::Contains("| baseline | base | 0.001 | 1 | 3.000 | 50.00 | 200 | — | — |"));
    CHECK_THAT(md, Catch::Contains("6 result file(s) skipped (1 still running, 3 invalid)"));
}

TEST_CASE("command line: output file, exit codes, user-facing errors", "[analysis]") {
    ScratchDir dir;
    const std::string out = dir.path() + "/report.md";
    CHECK(run_command({kPaperRuns, "--output", out, "--quiet"}) == 0);
    CHECK_THAT(slurp(out), Catch::Contains("## Results per group"));
    const std::string csv = dir.path() + "/pivot.csv";
    CHECK(run_command({kPaperRuns, "--format=csv", "--table=pivot", "--output=" + csv, "--quiet"}) == 0);
    CHECK(slurp(csv).rfind("variant,model.preset=tiny_mean", 0) == 0);
    CHECK(run_command({kPaperRuns, "--format", "docx"}) == 2);
    CHECK(run_command({kPaperRuns, "--bogus"}) == 2);
    CHECK(run_command({}) == 2);
    CHECK(run_command({"/nonexistent/runs"}) == 1);
    CHECK(run_command({kPaperRuns, "--table", "nope", "--quiet"}) == 1);
    // Only unfinished trials: nothing to analyse yet, said so.
    write_text(dir.path() + "/runs/t/result.json", R"({"schema_version": 1, "trial_id": "t", "status": "running"})");
    CHECK(run_command({dir.path() + "/runs", "--quiet"}) == 1);
}
