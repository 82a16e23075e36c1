#include "analysis/report.hpp"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "analysis/analysis_error.hpp"
#include "analysis/html_report.hpp"
#include "analysis/plots.hpp"
#include "analysis/report_json.hpp"
#include "analysis/report_tables.hpp"

namespace altup {
namespace {

namespace fs = std::filesystem;

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

// A private scratch directory for figures that are only embedded, removed on scope exit.
class ScratchDir {
public:
    ScratchDir() {
        std::string pattern = (fs::temp_directory_path() / "altup-analyze-XXXXXX").string();
        if (::mkdtemp(pattern.data()) == nullptr) throw AnalysisError("cannot create a temporary directory for the figures");
        path_ = pattern;
    }
    ~ScratchDir() {
        std::error_code ec;
        fs::remove_all(path_, ec);
    }
    ScratchDir(const ScratchDir&) = delete;
    ScratchDir& operator=(const ScratchDir&) = delete;
    const std::string& path() const { return path_; }

private:
    std::string path_;
};

std::vector<Table> selected_tables(const Analysis& a, const AnalyzeOptions& o, const ReportRequest& r, bool with_skipped) {
    std::vector<Table> tables = report_tables(a, o, with_skipped || r.table == "skipped");
    if (r.table.empty()) return tables;
    std::vector<std::string> ids;
    for (const Table& t : tables) {
        if (t.id == r.table) return {t};
        ids.push_back(t.id);
    }
    throw AnalysisError(fmt::format("no table '{}' in this analysis (available: {})", r.table, fmt::join(ids, ", ")));
}

}  // namespace

std::optional<ReportFormat> parse_report_format(const std::string& name) {
    if (name == "md" || name == "markdown") return ReportFormat::markdown;
    if (name == "csv") return ReportFormat::csv;
    if (name == "latex" || name == "tex") return ReportFormat::latex;
    if (name == "json") return ReportFormat::json;
    if (name == "html") return ReportFormat::html;
    return std::nullopt;
}

Report render_report(const Analysis& a, const AnalyzeOptions& o, const ReportRequest& r) {
    Report report;
    const RenderOptions render{o.confidence_intervals};
    PlotResult plots;
    std::optional<ScratchDir> scratch;
    std::vector<std::string> plot_notes;
    if (!r.plot_dir.empty()) {
        plots = write_plots(a, o, r.plot_dir);
    } else if (r.format == ReportFormat::html) {
        try {
            scratch.emplace();
            plots = write_plots(a, o, scratch->path());
        } catch (const AnalysisError& e) {
            report.warnings.push_back(fmt::format("the HTML report has no figures: {}", e.what()));
            plot_notes.push_back(fmt::format("figures not drawn: {}", e.what()));
        }
    }
    if (!r.plot_dir.empty())
        for (const Figure& f : plots.figures) report.figures.insert(report.figures.end(), {f.svg_path, f.png_path});
    for (const std::string& note : plots.notes) report.warnings.push_back(note);
    plot_notes.insert(plot_notes.end(), plots.notes.begin(), plots.notes.end());

    switch (r.format) {
        case ReportFormat::markdown: report.text = render_markdown(selected_tables(a, o, r, true), render); break;
        case ReportFormat::csv: report.text = render_csv(selected_tables(a, o, r, false), render); break;
        case ReportFormat::latex: report.text = render_latex(selected_tables(a, o, r, false), render); break;
        case ReportFormat::json: report.text = analysis_to_json(a, o).dump(2) + "\n"; break;
        case ReportFormat::html: {
            std::vector<EmbeddedFigure> figures;
            for (const Figure& f : plots.figures) figures.push_back({f.title, read_file(f.svg_path)});
            report.text = render_html_report(a, selected_tables(a, o, r, true), figures, plot_notes, render);
            break;
        }
    }
    return report;
}

}  // namespace altup
