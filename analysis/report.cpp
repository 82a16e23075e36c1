#include "analysis/report.hpp"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <stdexcept>

#include "analysis/compare.hpp"
#include "analysis/plots.hpp"
#include "analysis/tables.hpp"

namespace altup {
namespace fs = std::filesystem;

namespace {
bool has_variant(const std::vector<Group>& groups, const std::string& v) {
    for (const auto& g : groups) {
        auto it = g.labels.find("variant");
        if (it != g.labels.end() && it->second == v) return true;
    }
    return false;
}

bool has_label(const std::vector<Group>& groups, const std::string& key) {
    for (const auto& g : groups)
        if (g.labels.count(key)) return true;
    return false;
}

std::string read_file(const std::string& path) {
    std::ifstream in(path);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// One page, no external resources: the figures are inline SVG.
std::string html_page(const std::string& runs_dir, const std::vector<Table>& tables, const PlotFiles& plots, size_t trials,
                      const std::vector<SkippedResult>& skipped) {
    std::string page =
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>altup-lab report</title>\n<style>\n"
        "body{font-family:sans-serif;margin:2em;max-width:1200px}table{border-collapse:collapse;margin:1em 0}"
        "th,td{border:1px solid #bbb;padding:4px 8px;text-align:right}th:first-child,td:first-child{text-align:left}"
        "th{background:#eee}.note{color:#555;font-size:90%}figure{margin:1em 0}\n</style>\n</head>\n<body>\n"
        "<h1>altup-lab report</h1>\n<p>" + std::to_string(trials) + " completed trials from <code>" + runs_dir + "</code>.</p>\n";
    page += render_html_tables(tables);
    for (const auto& svg : plots.svg) {
        std::string content = read_file(svg);
        const auto start = content.find("<svg");
        if (start != std::string::npos) content = content.substr(start);  // drop the XML prolog
        page += "<figure>\n" + content + "\n</figure>\n";
    }
    if (!skipped.empty()) {
        page += "<h2>Skipped result files</h2>\n<ul>\n";
        for (const auto& s : skipped) page += "<li><code>" + s.path + "</code>: " + s.reason + "</li>\n";
        page += "</ul>\n";
    }
    return page + "</body>\n</html>\n";
}
}  // namespace

Report analyze(const std::string& runs_dir, const AnalyzeOptions& opts) {
    LoadedResults loaded = load_results(runs_dir);
    Report report;
    report.skipped = loaded.skipped;
    report.trials = loaded.trials.size();
    const std::vector<Group> groups = group_trials(loaded.trials);

    const std::string baseline = !opts.baseline.empty() ? opts.baseline : (has_variant(groups, "baseline") ? "baseline" : "");
    if (!opts.baseline.empty() && !has_variant(groups, opts.baseline))
        throw std::runtime_error("--baseline " + opts.baseline + ": no completed trial has variant " + opts.baseline);
    const std::string pivot = !opts.pivot.empty() ? opts.pivot : (has_label(groups, "model.preset") ? "model.preset" : "");

    std::vector<Table> tables{summary_table(groups)};
    std::vector<Relative> rel;
    std::vector<IsoQuality> iso;
    if (!baseline.empty()) {
        rel = relative_to_baseline(groups, baseline);
        tables.push_back(relative_table(rel, baseline));
    }
    if (!pivot.empty()) tables.push_back(pivot_table(make_pivot(groups, pivot)));
    if (!baseline.empty() && !pivot.empty()) {
        iso = iso_quality_speedups(groups, baseline);
        tables.push_back(iso_quality_table(iso, baseline));
    }

    PlotFiles plots;
    std::string plot_dir = opts.plot_dir;
    std::string temp_dir;
    if (plot_dir.empty() && opts.format == "html") {
        temp_dir = (fs::temp_directory_path() / ("altup-report-" + std::to_string(::getpid()))).string();
        plot_dir = temp_dir;
    }
    if (!plot_dir.empty() && !groups.empty()) plots = write_plots(groups, plot_dir);

    if (opts.format == "md") report.text = render_markdown(tables);
    else if (opts.format == "csv") report.text = render_csv(tables);
    else if (opts.format == "latex") report.text = render_latex(tables);
    else if (opts.format == "json") report.text = report_json(groups, rel, iso).dump(2) + "\n";
    else if (opts.format == "html") report.text = html_page(runs_dir, tables, plots, report.trials, report.skipped);
    else throw std::runtime_error("--format " + opts.format + ": expected md, csv, latex, json or html");
    if (!temp_dir.empty()) fs::remove_all(temp_dir);
    return report;
}

}  // namespace altup
