// A whole report in one format: the tables (optionally just one), and for
// `--plot DIR` / `--format html` the figures.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "analysis/analysis.hpp"

namespace altup {

enum class ReportFormat { markdown, csv, latex, json, html };

// "md", "csv", "latex", "json", "html" (also "markdown", "tex"); nullopt otherwise.
std::optional<ReportFormat> parse_report_format(const std::string& name);

// The format an output file's extension names: .md (.markdown), .csv, .tex,
// .json, .html (.htm); nullopt for any other (or no) extension.
std::optional<ReportFormat> report_format_of_path(const std::string& path);

// "md", "csv", "latex", "json", "html": the --format spelling.
const char* report_format_name(ReportFormat format);

struct ReportRequest {
    ReportFormat format = ReportFormat::markdown;
    std::string table;     // "" = all; else groups | baseline | pivot | downstream | iso_quality | skipped
    std::string plot_dir;  // "" = no figures kept on disk
    bool latex_standalone = false;  // latex: a whole document, not a fragment to \input
};

struct Report {
    std::string text;
    std::vector<std::string> warnings;  // for stderr
    std::vector<std::string> figures;   // SVG and PNG files written under plot_dir
};

// Tables with no rows are left out; one asked for by `request.table` gives
// a warning saying why instead. Every format but CSV says which commits and
// settings produced the trials (docs/analysis.md, "Provenance").
// Throws AnalysisError (unknown table, gnuplot missing or failing for --plot).
// For HTML without gnuplot the page is still made, with a warning.
Report render_report(const Analysis& analysis, const AnalyzeOptions& options, const ReportRequest& request);

}  // namespace altup
