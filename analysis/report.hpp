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

struct ReportRequest {
    ReportFormat format = ReportFormat::markdown;
    std::string table;     // "" = all; else groups | baseline | pivot | downstream | iso_quality | skipped
    std::string plot_dir;  // "" = no figures kept on disk
};

struct Report {
    std::string text;
    std::vector<std::string> warnings;  // for stderr
    std::vector<std::string> figures;   // SVG and PNG files written under plot_dir
};

// Throws AnalysisError (unknown table, gnuplot missing or failing for --plot).
// For HTML without gnuplot the page is still made, with a warning.
Report render_report(const Analysis& analysis, const AnalyzeOptions& options, const ReportRequest& request);

}  // namespace altup
