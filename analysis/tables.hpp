// The tables of a report, and their renderings: Markdown, CSV, LaTeX
// (booktabs) and JSON.
#pragma once
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "analysis/compare.hpp"

namespace altup {

struct Table {
    std::string title;
    std::vector<std::string> headers;
    std::vector<std::vector<std::string>> rows;
    std::vector<std::string> notes;  // printed under the table
};

// Quality, speed and size per group (mean ± std over seeds, n).
Table summary_table(const std::vector<Group>& groups);
Table relative_table(const std::vector<Relative>& rel, const std::string& baseline);
Table pivot_table(const Pivot& p);
Table iso_quality_table(const std::vector<IsoQuality>& iso, const std::string& baseline);

std::string render_markdown(const std::vector<Table>& tables);
std::string render_csv(const std::vector<Table>& tables);
std::string render_latex(const std::vector<Table>& tables);
std::string render_html_tables(const std::vector<Table>& tables);
// Machine-readable: the groups' statistics and the comparisons.
nlohmann::json report_json(const std::vector<Group>& groups, const std::vector<Relative>& rel, const std::vector<IsoQuality>& iso);

}  // namespace altup
