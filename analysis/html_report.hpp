// `--format html`: one self-contained page (styles inline, figures as data:
// URIs) that opens in any browser without fetching anything.
#pragma once
#include <string>
#include <vector>

#include "analysis/analysis.hpp"
#include "analysis/plots.hpp"
#include "analysis/provenance.hpp"
#include "analysis/table.hpp"

namespace altup {

struct EmbeddedFigure {
    std::string title;
    std::string svg;         // the SVG document gnuplot wrote
    std::string provenance;  // of the trials it draws (provenance_sentence)
};

// `provenance`: of every analysed trial, said at the top of the page.
std::string render_html_report(const Analysis& analysis, const std::vector<Table>& tables,
                               const std::vector<EmbeddedFigure>& figures, const std::vector<std::string>& plot_notes,
                               const RenderOptions& options, const std::vector<ProvenanceLine>& provenance);

std::string base64_encode(const std::string& bytes);

}  // namespace altup
