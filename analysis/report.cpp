#include "analysis/report.hpp"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "analysis/analysis_error.hpp"
#include "analysis/flat_tables.hpp"
#include "analysis/html_report.hpp"
#include "analysis/latex_table.hpp"
#include "analysis/plots.hpp"
#include "analysis/provenance.hpp"
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

// The requested tables that have rows: an empty section says nothing a
// reader needs (a one-size sweep has no iso-quality speedup to show).
std::vector<Table> selected_tables(const Analysis& a, const AnalyzeOptions& o, const ReportRequest& r, bool with_skipped,
                                   std::vector<std::string>& warnings) {
    // The tables for programs exist only when asked for by name.
    if (r.table == "trials" || r.table == "curves") {
        Table t = r.table == "trials" ? trials_table(a, o) : curves_table(a, o);
        if (!t.rows.empty()) return {t};
        warnings.push_back(fmt::format("table '{}' has no rows: {}", t.id, t.why_empty));
        return {};
    }
    std::vector<Table> tables = report_tables(a, o, with_skipped || r.table == "skipped");
    if (r.table.empty()) {
        tables.erase(std::remove_if(tables.begin(), tables.end(), [](const Table& t) { return t.rows.empty(); }),
                     tables.end());
        return tables;
    }
    std::vector<std::string> ids;
    for (const Table& t : tables) {
        if (t.id != r.table) {
            ids.push_back(t.id);
            continue;
        }
        if (!t.rows.empty()) return {t};
        const std::string why = !t.why_empty.empty() ? t.why_empty : t.notes.empty() ? "" : t.notes.front();
        warnings.push_back(fmt::format("table '{}' has no rows{}", t.id, why.empty() ? "" : ": " + why));
        return {};
    }
    throw AnalysisError(fmt::format("no table '{}' in this analysis (available: {}, trials, curves)", r.table, fmt::join(ids, ", ")));
}

std::vector<const TrialResult*> trials_of(const Analysis& a, const std::vector<std::size_t>& groups) {
    std::vector<const TrialResult*> trials;
    for (std::size_t g : groups)
        for (const TrialResult& t : a.groups[g].trials) trials.push_back(&t);
    return trials;
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

std::optional<ReportFormat> report_format_of_path(const std::string& path) {
    std::string ext = fs::path(path).extension().string();
    std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (ext == ".md" || ext == ".markdown") return ReportFormat::markdown;
    if (ext == ".csv") return ReportFormat::csv;
    if (ext == ".tex") return ReportFormat::latex;
    if (ext == ".json") return ReportFormat::json;
    if (ext == ".html" || ext == ".htm") return ReportFormat::html;
    return std::nullopt;
}

const char* report_format_name(ReportFormat format) {
    switch (format) {
        case ReportFormat::markdown: return "md";
        case ReportFormat::csv: return "csv";
        case ReportFormat::latex: return "latex";
        case ReportFormat::json: return "json";
        case ReportFormat::html: return "html";
    }
    return "md";
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

    std::vector<const TrialResult*> all_trials;
    for (const TrialResult& t : a.loaded.trials) all_trials.push_back(&t);
    const std::vector<ProvenanceLine> provenance = summarize_provenance(all_trials);
    std::vector<std::string>& warnings = report.warnings;
    switch (r.format) {
        case ReportFormat::markdown: {
            const std::vector<Table> tables = selected_tables(a, o, r, true, warnings);
            report.text = render_markdown(tables, render);
            if (r.table.empty() && !provenance.empty()) {  // a whole report, not one table to paste
                report.text += "\n## Provenance\n\n";
                for (const ProvenanceLine& line : provenance) report.text += "- " + provenance_text(line) + "\n";
            }
            break;
        }
        case ReportFormat::csv:
            // One table per file, so that any CSV reader (pandas.read_csv) reads it whole.
            if (r.table.empty())
                throw AnalysisError("--format csv writes one table per file: add --table ID, e.g. --table trials "
                                    "(one row per trial), --table curves (one row per logged step) or --table groups");
            if (const std::vector<Table> tables = selected_tables(a, o, r, false, warnings); !tables.empty())
                report.text = render_csv(tables.front(), render);
            break;
        case ReportFormat::latex: {
            LatexOptions latex{r.latex_standalone, {}};
            for (const ProvenanceLine& line : provenance) latex.comments.push_back(provenance_text(line));
            report.text = render_latex(selected_tables(a, o, r, false, warnings), render, latex);
            break;
        }
        case ReportFormat::json: {
            nlohmann::json j = analysis_to_json(a, o);
            j["provenance"] = provenance_json(provenance);
            report.text = j.dump(2) + "\n";
            break;
        }
        case ReportFormat::html: {
            std::vector<EmbeddedFigure> figures;
            for (const Figure& f : plots.figures)
                figures.push_back(
                    {f.title, read_file(f.svg_path), provenance_sentence(summarize_provenance(trials_of(a, f.groups)))});
            report.text = render_html_report(a, selected_tables(a, o, r, true, warnings), figures, plot_notes, render, provenance);
            break;
        }
    }
    return report;
}

}  // namespace altup
