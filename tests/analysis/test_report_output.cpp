// What a reviewer gets from `altup analyze`: LaTeX that pdflatex compiles and
// that fits the page, the provenance of every report and figure, options that
// must name something in the trials, the format from the output's extension,
// and no empty sections.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "analysis/analyze_command.hpp"
#include "analysis/gnuplot_runner.hpp"
#include "analysis/latex_table.hpp"
#include "analysis/named_choices.hpp"
#include "analysis/provenance.hpp"
#include "analysis/report.hpp"
#include "analysis_fixtures.hpp"
#include "util/suggest.hpp"

using namespace altup;
using namespace altup_test;
using nlohmann::json;

namespace {

std::string render(const std::string& runs, ReportRequest r, AnalyzeOptions o = {}) {
    return render_report(analyze(runs, o), o, r).text;
}

ReportRequest request(ReportFormat format, const std::string& table = "") {
    ReportRequest r;
    r.format = format;
    r.table = table;
    return r;
}

// A trial from the paper fixture's template with the given labels and numbers.
void write_trial(const std::string& dir, const std::map<std::string, std::string>& labels, double accuracy,
                 double tokens_per_s, const std::string& commit, const std::string& finished, int steps) {
    json j = json::parse(slurp(kPaperRuns + "/at1/result.json"));
    j["labels"] = labels;
    j["trial_id"] = fmt::format("{:x}", std::hash<std::string>{}(dir));
    j["sweep"] = "wide_study";
    j["quality"]["token_accuracy"] = accuracy;
    j["quality"]["eval_loss"] = 6.0 - 5.0 * accuracy;
    j["quality"]["perplexity"] = 400.0 * (1.0 - accuracy);
    j["speed"]["train_tokens_per_s"] = tokens_per_s;
    j["speed"]["eval_tokens_per_s"] = 3.1 * tokens_per_s;
    j["speed"]["ms_per_step"]["median"] = 2.048e6 / tokens_per_s;
    j["params"]["total"] = 12345678;
    j["params"]["embedding"] = 4194304;
    j["params"]["non_embedding"] = 8151374;
    j["env"]["git_commit"] = commit;
    j["finished_at"] = finished;
    j["config"] = {{"train", {{"steps", steps}, {"batch", 16}, {"dtype", "f32"}}}, {"model", {{"seq_len", 128}}}};
    write_text(dir + "/result.json", j.dump(2));
}

// Four methods with long names (and LaTeX specials) at three sizes, crossed
// with K, two seeds each: 14 columns of mean ± std in the groups table, long
// notes in the iso-quality table. Two commits and two step counts.
void write_wide_sweep(const std::string& runs) {
    const std::vector<std::string> methods = {"baseline", "recycled-altup_k4 & sum", "altup-k2 (50% lr)",
                                              "sequence-altup #stride~2^x"};
    const std::vector<std::string> presets = {"tiny", "small", "base"};
    int n = 0;
    for (std::size_t m = 0; m < methods.size(); ++m)
        for (std::size_t p = 0; p < presets.size(); ++p)
            for (const std::string k : {"2", "4"})
                for (int seed = 1; seed <= 2; ++seed) {
                    const int id = n++;  // every 7th trial (0, 7, ..., 42: 7 of 48) is of another commit
                    const double accuracy = 0.30 + 0.05 * static_cast<double>(p) + 0.012 * static_cast<double>(m) +
                                            0.003 * seed + (k == "4" ? 0.004 : 0.0);
                    const double speed = 20000.0 / static_cast<double>(1 + 2 * p) / (1.0 + 0.15 * static_cast<double>(m)) +
                                         37.0 * seed;
                    write_trial(fmt::format("{}/t{:02}", runs, id),
                                {{"variant", methods[m]}, {"model.preset", presets[p]}, {"model.altup.k", k},
                                 {"train.lr", "0.002"}, {"seed", std::to_string(seed)}},
                                accuracy, speed, id % 7 == 0 ? "e4f5a6b" : "a1b2c3d",
                                fmt::format("2026-11-{}T10:00:00Z", 20 + id % 3), id % 7 == 0 ? 300 : 400);
                }
}

// pdflatex on `tex`, written to dir/name.tex; whether it succeeded, and its log.
struct PdflatexRun {
    bool ok = false;
    std::string log;
};
PdflatexRun pdflatex(const std::string& dir, const std::string& name, const std::string& tex) {
    write_text(dir + "/" + name + ".tex", tex);
    const std::string command = fmt::format(
        "cd '{}' && pdflatex -interaction=nonstopmode -halt-on-error '{}.tex' > /dev/null 2>&1", dir, name);
    PdflatexRun run;
    run.ok = std::system(command.c_str()) == 0;
    run.log = slurp(dir + "/" + name + ".log");
    return run;
}

bool ascii_only(const std::string& text) {
    return std::all_of(text.begin(), text.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80; });
}

}  // namespace

TEST_CASE("escape_latex: the specials and the symbols our tables use", "[analysis][latex]") {
    CHECK(escape_latex("a_b 50% #1 {x} & $y") == "a\\_b 50\\% \\#1 \\{x\\} \\& \\$y");
    CHECK(escape_latex("~^\\") == "\\textasciitilde{}\\textasciicircum{}\\textbackslash{}");
    CHECK(escape_latex("x < 1.2× > y | z") == "x \\textless{} 1.2\\ensuremath{\\times} \\textgreater{} y \\textbar{} z");
    CHECK(escape_latex("Δ accuracy") == "\\ensuremath{\\Delta} accuracy");
    CHECK(escape_latex("tok/s ÷ base − 1") == "tok/s \\ensuremath{\\div} base \\ensuremath{-} 1");
    CHECK(escape_latex("1.0 ± 0.1") == "1.0 \\ensuremath{\\pm} 0.1");
    CHECK(escape_latex("31.00–50.00%: — † √") == "31.00--50.00\\%: --- \\dag{} \\ensuremath{\\surd}");
    CHECK(escape_latex("café") == "café");        // Latin letters: LaTeX's UTF-8 input handles them
    CHECK(escape_latex("☃ x") == "[U+2603] x");   // no LaTeX spelling here: visible, never an error
    CHECK(escape_latex("a\xff") == "a[U+FFFD]");  // not UTF-8
}

TEST_CASE("latex: every table compiles with pdflatex and fits the page", "[analysis][latex]") {
    ScratchDir dir;
    write_wide_sweep(dir.path() + "/runs");
    AnalyzeOptions o;
    o.confidence_intervals = true;  // the widest cells: "31.00 ± 1.41 [18.29, 43.71]"
    ReportRequest r = request(ReportFormat::latex);
    r.latex_standalone = true;
    const std::string tex = render(dir.path() + "/runs", r, o);
    // What pdflatex chokes on without inputenc tricks: nothing but ASCII is written.
    CHECK(ascii_only(tex));
    CHECK_THAT(tex, Catch::Contains("\\documentclass"));
    CHECK_THAT(tex, Catch::Contains("\\toprule"));
    CHECK_THAT(tex, Catch::Contains("\\ensuremath{\\Delta} accuracy"));
    CHECK_THAT(tex, Catch::Contains("recycled-altup\\_k4 \\& sum"));
    CHECK_THAT(tex, Catch::Contains("sequence-altup \\#stride\\textasciitilde{}2\\textasciicircum{}x"));
    CHECK_THAT(tex, Catch::Contains("% commit: a1b2c3d (41 trials), e4f5a6b (7 trials)"));
    // The groups table is too wide for one page: it is split, the label columns repeated.
    CHECK_THAT(tex, Catch::Contains("Results per group (mean \\ensuremath{\\pm} sample std [95\\% t-interval] over n seeds) (part 1 of"));
    CHECK_THAT(tex, Catch::Contains("\\label{tab:groups-2}"));
    // train.lr is 0.002 in every row: a line under the table instead of a column.
    CHECK_THAT(tex, Catch::Contains("train.lr: 0.002 in every row\\par"));
    CHECK_THAT(tex, !Catch::Contains("& 0.002 &"));
    // The 95% interval on a line of its own (baseline, k=4, tiny: two seeds of one config, std 0.0106):
    // 4.457 ± 12.706 · 0.0106 / √2 = ± 0.095.
    CHECK_THAT(tex, Catch::Contains("\\begin{tabular}[t]{@{}r@{}}$4.457 \\pm 0.011$\\\\ $[4.362, 4.553]$\\end{tabular}"));
    // An iso-quality note is a marker in the table, its text listed with the marker.
    CHECK_THAT(tex, Catch::Contains("& (a) \\\\\n"));
    CHECK_THAT(tex, Catch::Contains("(a) above the family's range (family accuracy 30.30--36.00\\%): not extrapolated;"));

    if (find_executable("pdflatex").empty()) {
        WARN("pdflatex not installed: not compiled (apt-get install texlive-latex-base texlive-latex-recommended)");
        return;
    }
    const PdflatexRun standalone = pdflatex(dir.path(), "standalone", tex);
    INFO(standalone.log.substr(standalone.log.size() > 3000 ? standalone.log.size() - 3000 : 0));
    REQUIRE(standalone.ok);
    CHECK_THAT(standalone.log, !Catch::Contains("Overfull \\hbox"));
    CHECK_THAT(standalone.log, Catch::Contains("Output written on standalone.pdf"));

    // The fragment, \input into a two-column paper with the documented preamble:
    // a column is narrower than any table, which is then shrunk to fit it.
    write_text(dir.path() + "/tables.tex", render(dir.path() + "/runs", request(ReportFormat::latex), o));
    const PdflatexRun paper = pdflatex(dir.path(), "paper",
                                       "\\documentclass[twocolumn]{article}\n\\usepackage{booktabs}\n"
                                       "\\usepackage{graphicx}\n\\begin{document}\n\\input{tables}\n\\end{document}\n");
    INFO(paper.log.substr(paper.log.size() > 3000 ? paper.log.size() - 3000 : 0));
    REQUIRE(paper.ok);
    CHECK_THAT(paper.log, !Catch::Contains("Overfull \\hbox"));
}

TEST_CASE("provenance: commits, steps and dates of the trials, with counts when they disagree", "[analysis]") {
    ScratchDir dir;
    write_wide_sweep(dir.path() + "/runs");
    const Analysis a = analyze(dir.path() + "/runs", AnalyzeOptions{});
    std::vector<const TrialResult*> trials;
    for (const TrialResult& t : a.loaded.trials) trials.push_back(&t);
    const int odd = 7;  // of the 48 trials, ids 0, 7, ..., 42 are of commit e4f5a6b and 300 steps
    const std::vector<ProvenanceLine> lines = summarize_provenance(trials);
    std::map<std::string, std::string> text;
    for (const ProvenanceLine& l : lines) text[l.field] = provenance_text(l);
    CHECK(text["commit"] == fmt::format("commit: a1b2c3d ({} trials), e4f5a6b ({} trials)", 48 - odd, odd));
    CHECK(text["steps"] == fmt::format("steps: 400 ({} trials), 300 ({} trials)", 48 - odd, odd));
    CHECK(text["finished"] == "finished: 2026-11-20 to 2026-11-22");
    CHECK(text["batch"] == "batch: 16");
    CHECK(text["sweep"] == "sweep: wide_study");
    CHECK(text.count("fine-tune steps") == 0);  // pretraining trials only

    // A file without env says so instead of being counted as some commit.
    ScratchDir other;
    write_trial(other.path() + "/a", {{"variant", "baseline"}}, 0.3, 1000, "abc1234", "2026-11-28T19:00:00Z", 200);
    json j = json::parse(slurp(other.path() + "/a/result.json"));
    j["env"] = nullptr;
    write_text(other.path() + "/b/result.json", j.dump());
    const Analysis b = analyze(other.path(), AnalyzeOptions{});
    std::vector<const TrialResult*> two{&b.loaded.trials[0], &b.loaded.trials[1]};
    CHECK(provenance_text(summarize_provenance(two).front()) == "commit: abc1234 (1 trial), not recorded (1 trial)");

    const std::string md = render(dir.path() + "/runs", request(ReportFormat::markdown));
    CHECK_THAT(md, Catch::Contains(fmt::format("## Provenance\n\n- commit: a1b2c3d ({} trials)", 48 - odd)));
    const auto js = json::parse(render(dir.path() + "/runs", request(ReportFormat::json)));
    CHECK(js["provenance"]["commit"]["values"]["e4f5a6b"] == odd);
    const std::string html = render(dir.path() + "/runs", request(ReportFormat::html));
    CHECK_THAT(html, Catch::Contains("<li class=\"mixed\"><b>commit</b>: a1b2c3d"));
    CHECK_THAT(html, Catch::Contains("<li><b>batch</b>: 16</li>"));
}

TEST_CASE("html: figures are full width and each says what produced it", "[analysis][gnuplot]") {
    REQUIRE_FALSE(find_executable("gnuplot").empty());
    const std::string html = render(kPaperRuns, request(ReportFormat::html));
    // An <img> of an SVG without width/height defaults to 300 px: the page gives it the width.
    CHECK_THAT(html, Catch::Contains("figure img { display: block; width: 100%; height: auto;"));
    CHECK_THAT(html, !Catch::Contains("inline-block"));
    std::size_t captions = 0;
    for (std::size_t at = html.find("<span class=\"provenance\">"); at != std::string::npos;
         at = html.find("<span class=\"provenance\">", at + 1))
        ++captions;
    CHECK(captions == 4);
    // accuracy_vs_speed draws the 11 fixture trials (all with accuracy and speed), of one commit.
    CHECK_THAT(html, Catch::Contains("<b>Token accuracy vs training speed</b><br><span class=\"provenance\">commit: abc1234"));
}

TEST_CASE("plot files: each figure's script and image say which trials they show", "[analysis][gnuplot]") {
    REQUIRE_FALSE(find_executable("gnuplot").empty());
    ScratchDir dir;
    ReportRequest r = request(ReportFormat::markdown);
    r.plot_dir = dir.path();
    render(kPaperRuns, r);
    const std::string gp = slurp(dir.path() + "/accuracy_vs_speed.gp");
    CHECK(gp.rfind("# Generated by `altup analyze`", 0) == 0);
    CHECK_THAT(gp, Catch::Contains("\n# 11 trials in 6 groups\n# commit: abc1234\n"));
    CHECK_THAT(gp, Catch::Contains("set label 1001 'commit: abc1234; sweep: paper;"));
    CHECK_THAT(slurp(dir.path() + "/accuracy_vs_speed.svg"), Catch::Contains("commit: abc1234; sweep: paper;"));
}

TEST_CASE("edit distance and the closest candidate", "[analysis]") {
    CHECK(edit_distance("varaint", "variant") == 2);
    CHECK(edit_distance("model.prest", "model.preset") == 1);
    CHECK(edit_distance("", "abc") == 3);
    CHECK(closest_match("basline", {"altup-k2", "baseline"}, 2) == "baseline");
    CHECK(closest_match("zzz", {"altup-k2", "baseline"}, 2).empty());
}

TEST_CASE("the options --variant-key, --baseline and --pivot must name something in the trials", "[analysis]") {
    const Analysis a = analyze(kPaperRuns, AnalyzeOptions{});
    AnalyzeOptions o;
    o.pivot_key = "model.prest";
    CHECK(check_named_choices(a, o, {false, false, true}) ==
          "unknown --pivot key 'model.prest' (no trial has it); did you mean 'model.preset'? "
          "keys: model.preset, train.lr, variant");
    CHECK(check_named_choices(a, o, {false, false, false}).empty());  // a default is never refused
    o = {};
    o.variant_key = "varaint";
    CHECK_THAT(check_named_choices(a, o, {true, false, false}),
               Catch::StartsWith("unknown --variant-key 'varaint' (no trial has this label); did you mean 'variant'?"));
    o = {};
    o.baseline = "basline";
    CHECK(check_named_choices(a, o, {false, true, false}) ==
          "unknown --baseline 'basline' (no trial has variant=basline); did you mean 'baseline'? "
          "values of variant: baseline, altup-k2");
    o.baseline = "nothing-like-it";
    CHECK(check_named_choices(a, o, {false, true, false}) ==
          "unknown --baseline 'nothing-like-it' (no trial has variant=nothing-like-it); values of variant: baseline, altup-k2");
    o = {};
    o.pivot_key = "none";
    CHECK(check_named_choices(a, o, {false, false, true}).empty());
    o.pivot_key = "train.lr";
    CHECK(check_named_choices(a, o, {false, false, true}).empty());

    CHECK(run_command({kPaperRuns, "--pivot", "model.prest", "--quiet"}) == 2);
    CHECK(run_command({kPaperRuns, "--variant-key", "varaint", "--quiet"}) == 2);
    CHECK(run_command({kPaperRuns, "--baseline", "basline", "--quiet"}) == 2);
    ScratchDir dir;
    CHECK(run_command({kPaperRuns, "--baseline", "altup-k2", "--pivot", "train.lr", "-o", dir.path() + "/r.md",
                       "--quiet"}) == 0);
    // Standalone runs: the method is the config name.
    CHECK(run_command({kStandaloneRuns, "--baseline", "my-baseline", "-o", dir.path() + "/s.md", "--quiet"}) == 0);
}

TEST_CASE("the output's extension chooses the format, and a contradicting --format is an error", "[analysis]") {
    CHECK(report_format_of_path("out/report.html") == ReportFormat::html);
    CHECK(report_format_of_path("T.TEX") == ReportFormat::latex);
    CHECK(report_format_of_path("a.csv") == ReportFormat::csv);
    CHECK(report_format_of_path("a.json") == ReportFormat::json);
    CHECK(report_format_of_path("a.md") == ReportFormat::markdown);
    CHECK_FALSE(report_format_of_path("report.txt"));
    CHECK_FALSE(report_format_of_path(""));
    ScratchDir dir;
    const std::string html = dir.path() + "/report.html";
    CHECK(run_command({kPaperRuns, "-o", html, "--quiet"}) == 0);
    CHECK(slurp(html).rfind("<!DOCTYPE html>", 0) == 0);
    CHECK(run_command({kPaperRuns, "--output=" + dir.path() + "/t.tex", "--quiet"}) == 0);
    CHECK_THAT(slurp(dir.path() + "/t.tex"), Catch::Contains("\\begin{tabular}"));
    CHECK(run_command({kPaperRuns, "-o", dir.path() + "/g.json", "--quiet"}) == 0);
    CHECK(json::parse(slurp(dir.path() + "/g.json")).contains("groups"));
    CHECK(run_command({kPaperRuns, "-o", dir.path() + "/plain.txt", "--quiet"}) == 0);  // unknown: Markdown
    CHECK(slurp(dir.path() + "/plain.txt").rfind("## Results per group", 0) == 0);
    CHECK(run_command({kPaperRuns, "--format", "md", "-o", dir.path() + "/same.md", "--quiet"}) == 0);
    CHECK(run_command({kPaperRuns, "--format", "csv", "-o", dir.path() + "/x.html", "--quiet"}) == 2);
    CHECK_FALSE(std::filesystem::exists(dir.path() + "/x.html"));
    CHECK(run_command({kPaperRuns, "--standalone", "--quiet"}) == 2);  // standalone is LaTeX only
}

TEST_CASE("a one-size sweep has no iso-quality section, in any format", "[analysis]") {
    ScratchDir dir;
    const std::string runs = dir.path() + "/runs";
    // The quickstart's shape: three methods at one size, one seed, both others better than the baseline.
    int n = 0;
    for (const auto& [method, accuracy, speed] :
         std::vector<std::tuple<std::string, double, double>>{{"baseline", 0.19, 20000}, {"altup-k2", 0.193, 11000},
                                                              {"recycled-k2", 0.191, 15000}})
        write_trial(fmt::format("{}/t{}", runs, n++), {{"variant", method}, {"model.preset", "tiny"}, {"seed", "1"}},
                    accuracy, speed, "a1b2c3d", "2026-11-28T10:00:00Z", 400);
    const Analysis a = analyze(runs, AnalyzeOptions{});
    REQUIRE(a.iso.size() == 2);  // computed (and in the JSON), but with no range to read a speed from
    const std::string md = render(runs, request(ReportFormat::markdown));
    CHECK_THAT(md, Catch::Contains("## Against the baseline of the same size"));
    CHECK_THAT(md, !Catch::Contains("Iso-quality"));
    CHECK(render(runs, request(ReportFormat::csv, "iso_quality")).empty());
    CHECK_THAT(render(runs, request(ReportFormat::latex)), !Catch::Contains("Iso-quality"));
    CHECK_THAT(render(runs, request(ReportFormat::html)), !Catch::Contains("Iso-quality"));
    // Asked for: nothing to print, and one line on stderr saying why.
    const Report asked = render_report(a, AnalyzeOptions{}, request(ReportFormat::markdown, "iso_quality"));
    CHECK(asked.text.empty());
    REQUIRE(asked.warnings.size() == 1);
    CHECK(asked.warnings[0] == "table 'iso_quality' has no rows: each reference family has a single model.preset: no "
                               "range of accuracy to read a speed from (iso-quality needs the family at two "
                               "model.preset values or more)");
    // The paper fixture's family has three sizes: its iso-quality section stays.
    CHECK_THAT(render(kPaperRuns, request(ReportFormat::markdown)), Catch::Contains("## Iso-quality"));
    // Against one size, a method both worse and slower still has a bound to show: that row alone.
    write_trial(runs + "/t9", {{"variant", "slow-k8"}, {"model.preset", "tiny"}, {"seed", "1"}}, 0.185, 5000, "a1b2c3d",
                "2026-11-28T10:00:00Z", 400);
    const std::string with_bound = render(runs, request(ReportFormat::markdown, "iso_quality"));
    CHECK_THAT(with_bound, Catch::Contains("| slow-k8 | tiny | 18.50 | 5000 | — | — | — | below the family's range"));
    CHECK_THAT(with_bound, Catch::Contains("is better and 4.0× faster: iso-quality speedup < 0.250×"));
    CHECK_THAT(with_bound, !Catch::Contains("| altup-k2 |"));
}
