// `--format latex`: booktabs tables that pdflatex compiles as written and that
// fit the page. Every symbol the other formats write as Unicode (Δ, −, ±, ×,
// †, ...) becomes its LaTeX command, every special character is escaped, long
// headers wrap onto stacked lines, a label column with one value becomes a
// line under the table, a long note becomes a marker with its text below, and
// a table too wide for a one-column page is split into parts that repeat the
// label columns; whatever is still wider than \linewidth is shrunk to it.
// The packages needed are listed at the top of the output (docs/analysis.md,
// "LaTeX").
#pragma once
#include <string>
#include <vector>

#include "analysis/table.hpp"

namespace altup {

struct LatexOptions {
    bool standalone = false;            // a whole document (\documentclass ... \end{document})
    std::vector<std::string> comments;  // "% " lines at the top (the provenance)
};

std::string render_latex(const std::vector<Table>& tables, const RenderOptions& options,
                         const LatexOptions& latex = {});

// Text-mode LaTeX for UTF-8 text: the ten specials escaped, the symbols of
// our tables as commands; a character with no LaTeX spelling here reads [U+XXXX].
std::string escape_latex(const std::string& text);

// The width the tables are laid out for before any shrinking: the text width
// of a 10 pt one-column article, the narrowest common one (pt).
inline constexpr double kLatexTextWidthPt = 345.0;

}  // namespace altup
