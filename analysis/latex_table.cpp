#include "analysis/latex_table.hpp"

#include <algorithm>
#include <map>

#include <fmt/format.h>

namespace altup {
namespace {

// The width model behind the layout decisions (\small, 9 pt Computer Modern).
// It need not be exact: \altupfit shrinks whatever still overflows.
constexpr double kCharPt = 4.25;             // an average glyph (a digit is 4.5)
constexpr double kPaddingPt = 12.0;          // 2 \tabcolsep around a cell
constexpr std::size_t kLongText = 32;        // a text column with a longer cell becomes a paragraph column
constexpr double kParagraphMinPt = 130.0;    // the narrowest paragraph column
constexpr std::size_t kHeaderMaxLines = 3;   // a header wraps onto at most this many lines

// One UTF-8 code point from `text` at `i` (advanced past it); bad bytes read as U+FFFD.
char32_t next_code_point(const std::string& text, std::size_t& i) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    const int extra = c < 0x80 ? 0 : (c >> 5) == 0x6 ? 1 : (c >> 4) == 0xE ? 2 : (c >> 3) == 0x1E ? 3 : -1;
    if (extra < 0 || i + static_cast<std::size_t>(extra) >= text.size()) {  // a stray or cut-off byte
        ++i;
        return extra == 0 ? c : 0xFFFD;
    }
    char32_t cp = extra == 0 ? c : c & (0x3F >> extra);
    for (int k = 1; k <= extra; ++k) {
        const unsigned char cont = static_cast<unsigned char>(text[i + static_cast<std::size_t>(k)]);
        if ((cont >> 6) != 0x2) {
            ++i;
            return 0xFFFD;
        }
        cp = (cp << 6) | (cont & 0x3F);
    }
    i += static_cast<std::size_t>(extra) + 1;
    return cp;
}

// The non-ASCII characters our tables and notes use, and a few likely in labels.
const std::map<char32_t, const char*>& unicode_commands() {
    static const std::map<char32_t, const char*> table = {
        {U'Δ', "\\ensuremath{\\Delta}"}, {U'−', "\\ensuremath{-}"},        {U'±', "\\ensuremath{\\pm}"},
        {U'×', "\\ensuremath{\\times}"}, {U'÷', "\\ensuremath{\\div}"},    {U'√', "\\ensuremath{\\surd}"},
        {U'·', "\\ensuremath{\\cdot}"},  {U'≤', "\\ensuremath{\\le}"},     {U'≥', "\\ensuremath{\\ge}"},
        {U'≈', "\\ensuremath{\\approx}"}, {U'→', "\\ensuremath{\\to}"},    {U'∞', "\\ensuremath{\\infty}"},
        {U'α', "\\ensuremath{\\alpha}"}, {U'β', "\\ensuremath{\\beta}"},   {U'γ', "\\ensuremath{\\gamma}"},
        {U'δ', "\\ensuremath{\\delta}"}, {U'ε', "\\ensuremath{\\epsilon}"}, {U'λ', "\\ensuremath{\\lambda}"},
        {U'μ', "\\ensuremath{\\mu}"},    {U'σ', "\\ensuremath{\\sigma}"},  {U'τ', "\\ensuremath{\\tau}"},
        {U'—', "---"},                   {U'–', "--"},                     {U'†', "\\dag{}"},
        {U'‡', "\\ddag{}"},              {U'…', "\\dots{}"},               {U'‘', "`"},
        {U'’', "'"},                     {U'“', "``"},                     {U'”', "''"},
        {U'°', "\\ensuremath{^\\circ}"}, {U'\u00A0', "~"},
    };
    return table;
}

std::size_t code_points(const std::string& text) {
    std::size_t n = 0;
    for (std::size_t i = 0; i < text.size(); ++n) next_code_point(text, i);
    return n;
}

// Estimated width of plain (unescaped) text: a space is about 0.6 glyphs (none
// in math mode, but "±" there takes about 2.4 with its spacing).
double text_pt(const std::string& plain) {
    double chars = static_cast<double>(code_points(plain));
    for (char c : plain) chars -= c == ' ' ? 0.4 : 0.0;
    for (std::size_t at = plain.find("±"); at != std::string::npos; at = plain.find("±", at + 1)) chars += 1.4;
    return chars * kCharPt;
}

std::vector<std::string> split_words(const std::string& text) {
    std::vector<std::string> words;
    std::size_t start = 0;
    while (start < text.size()) {
        const std::size_t space = text.find(' ', start);
        const std::size_t end = space == std::string::npos ? text.size() : space;
        if (end > start) words.push_back(text.substr(start, end - start));
        start = end + 1;
    }
    return words;
}

// Greedy word wrap at `width` code points (a longer word gets a line of its own).
std::vector<std::string> wrap(const std::string& text, std::size_t width) {
    std::vector<std::string> lines;
    for (const std::string& word : split_words(text)) {
        if (!lines.empty() && code_points(lines.back()) + 1 + code_points(word) <= width)
            lines.back() += " " + word;
        else
            lines.push_back(word);
    }
    if (lines.empty()) lines.push_back("");
    return lines;
}

struct ColumnLayout {
    std::vector<std::string> header_lines;
    double width_pt = 0;  // with padding
    bool paragraph = false;
    double widest_text_pt = 0;  // of a paragraph column's cells
};

ColumnLayout layout_column(const Table& t, std::size_t col, const RenderOptions& options) {
    ColumnLayout c;
    std::size_t widest_chars = 0;
    double cells_pt = 0;
    for (const auto& row : t.rows) {
        const std::string text = cell_text(row[col], options);
        widest_chars = std::max(widest_chars, code_points(text));
        cells_pt = std::max(cells_pt, text_pt(text));
    }
    c.paragraph = !t.columns[col].numeric && widest_chars > kLongText;
    if (c.paragraph) {
        c.header_lines = {t.columns[col].header};
        c.widest_text_pt = cells_pt;
        c.width_pt = kParagraphMinPt + kPaddingPt;
        return c;
    }
    // Wrap the header no narrower than the cells, widening until it takes at most three lines.
    std::size_t width = std::max<std::size_t>(12, widest_chars);
    c.header_lines = wrap(t.columns[col].header, width);
    while (c.header_lines.size() > kHeaderMaxLines) c.header_lines = wrap(t.columns[col].header, ++width);
    double header_pt = 0;
    for (const std::string& line : c.header_lines) header_pt = std::max(header_pt, text_pt(line));
    c.width_pt = std::max(cells_pt, header_pt) + kPaddingPt;
    return c;
}

std::string cell_latex(const Cell& cell, const RenderOptions& options) {
    switch (cell.kind) {
        case Cell::Kind::empty: return "--";
        case Cell::Kind::text: return escape_latex(cell.text);
        case Cell::Kind::number: return "$" + fixed_text(cell.number, cell.precision) + "$" + escape_latex(cell.text);
        case Cell::Kind::stat: return "$" + cell_text_with(cell, options, "\\pm", "--") + "$";
    }
    return "--";
}

std::string header_latex(const Column& column, const ColumnLayout& layout) {
    if (layout.header_lines.size() == 1) return escape_latex(layout.header_lines.front());
    std::vector<std::string> lines;
    for (const std::string& l : layout.header_lines) lines.push_back(escape_latex(l));
    // A nested tabular stacks the lines, bottom-aligned with the other headers.
    return fmt::format("\\begin{{tabular}}[b]{{@{{}}{}@{{}}}}{}\\end{{tabular}}", column.numeric ? 'r' : 'l',
                       fmt::join(lines, "\\\\ "));
}

// The leading text columns name a row: every part of a split table repeats them.
std::size_t label_column_count(const Table& t) {
    std::size_t n = 0;
    while (n < t.columns.size() && !t.columns[n].numeric) ++n;
    return n == t.columns.size() ? std::min<std::size_t>(1, n) : n;
}

// Value columns in parts that fit the text width next to the label columns.
std::vector<std::vector<std::size_t>> split_columns(const std::vector<ColumnLayout>& layout, std::size_t labels) {
    double labels_pt = 0;
    for (std::size_t c = 0; c < labels; ++c) labels_pt += layout[c].width_pt;
    std::vector<std::vector<std::size_t>> parts(1);
    double used = labels_pt;
    for (std::size_t c = labels; c < layout.size(); ++c) {
        if (!parts.back().empty() && used + layout[c].width_pt > kLatexTextWidthPt) {
            parts.emplace_back();
            used = labels_pt;
        }
        parts.back().push_back(c);
        used += layout[c].width_pt;
    }
    return parts;
}

constexpr const char* kPreambleComment =
    "% Generated by `altup analyze` (docs/analysis.md, \"LaTeX\"). The preamble needs:\n"
    "%   \\usepackage{booktabs}  % \\toprule, \\midrule, \\bottomrule\n"
    "%   \\usepackage{array}     % >{\\raggedright\\arraybackslash}p{...} note columns\n"
    "%   \\usepackage{graphicx}  % \\resizebox: a table wider than \\linewidth is shrunk to fit\n"
    "% (all three in Debian's texlive-latex-base / texlive-latex-recommended);\n"
    "% `altup analyze --format latex --standalone` writes a whole document.\n";

// Its argument at natural width, or shrunk to \linewidth when wider (never enlarged).
constexpr const char* kFitMacro =
    "\\makeatletter\n"
    "\\@ifundefined{altupfit}{%\n"
    "  \\newsavebox\\altup@fitbox\n"
    "  \\newcommand\\altupfit[1]{\\sbox\\altup@fitbox{#1}%\n"
    "    \\ifdim\\wd\\altup@fitbox>\\linewidth\\resizebox{\\linewidth}{!}{\\usebox\\altup@fitbox}%\n"
    "    \\else\\usebox\\altup@fitbox\\fi}%\n"
    "}{}\n"
    "\\makeatother\n";

std::string render_table(const Table& t, const RenderOptions& options) {
    std::vector<ColumnLayout> layout;
    for (std::size_t c = 0; c < t.columns.size(); ++c) layout.push_back(layout_column(t, c, options));
    const std::size_t labels = label_column_count(t);
    const auto parts = split_columns(layout, labels);
    std::string out;
    for (std::size_t p = 0; p < parts.size(); ++p) {
        std::vector<std::size_t> cols;
        for (std::size_t c = 0; c < labels; ++c) cols.push_back(c);
        cols.insert(cols.end(), parts[p].begin(), parts[p].end());
        double fixed_pt = 0;
        for (std::size_t c : cols)
            if (!layout[c].paragraph) fixed_pt += layout[c].width_pt;
        std::string spec;
        for (std::size_t c : cols) {
            if (!layout[c].paragraph) {
                spec += t.columns[c].numeric ? 'r' : 'l';
                continue;
            }
            // The room left on the line, but no wider than the longest note needs.
            const double room = std::max(kParagraphMinPt, kLatexTextWidthPt - fixed_pt - kPaddingPt);
            spec += fmt::format(">{{\\raggedright\\arraybackslash}}p{{{:.0f}pt}}", std::min(room, layout[c].widest_text_pt + 1));
        }
        const std::string part = parts.size() == 1 ? "" : fmt::format(" (part {} of {})", p + 1, parts.size());
        out += "\n\\begin{table}[tbp]\n\\centering\n\\small\n";
        out += fmt::format("\\caption{{{}{}}}\n\\label{{tab:{}{}}}\n", escape_latex(t.title), part, t.id,
                           p == 0 ? "" : fmt::format("-{}", p + 1));
        out += fmt::format("\\altupfit{{%\n\\begin{{tabular}}{{@{{}}{}@{{}}}}\n\\toprule\n", spec);
        std::vector<std::string> header;
        for (std::size_t c : cols) header.push_back(header_latex(t.columns[c], layout[c]));
        out += fmt::format("{} \\\\\n\\midrule\n", fmt::join(header, " & "));
        for (const auto& row : t.rows) {
            std::vector<std::string> cells;
            for (std::size_t c : cols) cells.push_back(cell_latex(row[c], options));
            out += fmt::format("{} \\\\\n", fmt::join(cells, " & "));
        }
        out += "\\bottomrule\n\\end{tabular}}\n";
        if (p + 1 == parts.size() && !t.notes.empty()) {
            out += "\\par\\smallskip\n{\\footnotesize\\raggedright\n";
            for (const std::string& note : t.notes) out += escape_latex(note) + "\\par\n";
            out += "}\n";
        }
        out += "\\end{table}\n";
    }
    return out;
}

}  // namespace

std::string escape_latex(const std::string& text) {
    std::string out;
    for (std::size_t i = 0; i < text.size();) {
        const char ch = text[i];
        if (static_cast<unsigned char>(ch) < 0x80) {
            ++i;
            switch (ch) {
                case '\\': out += "\\textbackslash{}"; break;
                case '&': case '%': case '$': case '#': case '_': case '{': case '}': out += '\\'; out += ch; break;
                case '~': out += "\\textasciitilde{}"; break;
                case '^': out += "\\textasciicircum{}"; break;
                // In the default OT1 encoding these print as other glyphs (¡, ¿, —).
                case '<': out += "\\textless{}"; break;
                case '>': out += "\\textgreater{}"; break;
                case '|': out += "\\textbar{}"; break;
                case '\n': out += ' '; break;
                default: out += ch;
            }
            continue;
        }
        const std::size_t start = i;
        const char32_t cp = next_code_point(text, i);
        const auto& commands = unicode_commands();
        if (auto it = commands.find(cp); it != commands.end()) {
            out += it->second;
        } else if (cp >= 0xC0 && cp <= 0xFF && cp != 0xD7 && cp != 0xF7) {
            out += text.substr(start, i - start);  // accented Latin letters: LaTeX's UTF-8 input reads them
        } else {
            out += fmt::format("[U+{:04X}]", static_cast<unsigned>(cp));
        }
    }
    return out;
}

std::string render_latex(const std::vector<Table>& tables, const RenderOptions& options, const LatexOptions& latex) {
    std::string out;
    if (latex.standalone)
        out += "\\documentclass[10pt]{article}\n\\usepackage{booktabs}\n\\usepackage{array}\n\\usepackage{graphicx}\n"
               "\\begin{document}\n";
    out += kPreambleComment;
    for (const std::string& c : latex.comments) out += "% " + c + "\n";
    out += kFitMacro;
    for (const Table& t : tables) out += render_table(t, options);
    if (latex.standalone) out += "\\end{document}\n";
    return out;
}

}  // namespace altup
