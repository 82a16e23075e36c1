#include "analysis/latex_table.hpp"

#include <algorithm>
#include <cmath>
#include <map>

#include <fmt/format.h>

namespace altup {
namespace {

// The width model behind the layout decisions (\small, 9 pt Computer Modern).
// It need not be exact: \altupfit shrinks whatever still overflows.
constexpr double kCharPt = 4.25;             // an average glyph (a digit is 4.5)
constexpr double kPaddingPt = 12.0;          // 2 \tabcolsep around a cell
constexpr std::size_t kLongText = 32;        // a longer text cell (after the labels) becomes a marker
constexpr std::size_t kHeaderMaxLines = 3;   // a header wraps onto at most this many lines
constexpr double kPageLines = 45;            // \small lines that fit a float page, with some room

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

// A cell's text as it is set: a stat cell's interval, "[lo, hi]", goes on a
// second line, so that --ci does not double the width of every column.
std::vector<std::string> cell_lines(const Cell& cell, const RenderOptions& options) {
    const std::string text = cell_text(cell, options);
    const std::size_t interval = cell.kind == Cell::Kind::stat ? text.find(" [") : std::string::npos;
    if (interval == std::string::npos) return {text};
    return {text.substr(0, interval), text.substr(interval + 1)};
}

struct ColumnLayout {
    std::vector<std::string> header_lines;
    double width_pt = 0;  // with padding
};

ColumnLayout layout_column(const Table& t, std::size_t col, const RenderOptions& options) {
    ColumnLayout c;
    std::size_t widest_chars = 0;
    double cells_pt = 0;
    for (const auto& row : t.rows)
        for (const std::string& text : cell_lines(row[col], options)) {
            widest_chars = std::max(widest_chars, code_points(text));
            cells_pt = std::max(cells_pt, text_pt(text));
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
        case Cell::Kind::stat: {
            const std::string text = cell_text_with(cell, options, "\\pm", "--");
            const std::size_t interval = text.find(" [");
            if (interval == std::string::npos) return "$" + text + "$";
            return fmt::format("\\begin{{tabular}}[t]{{@{{}}r@{{}}}}${}$\\\\ ${}$\\end{{tabular}}", text.substr(0, interval),
                               text.substr(interval + 1));
        }
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

// A table as the page needs it: a label column with one value in every row
// becomes a line under the table, and a long text cell (an iso-quality note)
// becomes a marker, "(a)", with its text listed under the table: a sentence
// per row in a narrow column would make the table taller than a page.
struct Prepared {
    Table table;
    std::size_t labels = 0;
    std::vector<std::string> constant;    // "train.lr: 0.002 in every row"
    std::vector<std::string> keyed;       // the marked texts, in marker order
    std::vector<bool> marked;             // per column of `table`: has markers
};

std::string marker(std::size_t i) {
    std::string letters;
    for (std::size_t n = i + 1; n > 0; n = (n - 1) / 26) letters.insert(letters.begin(), static_cast<char>('a' + (n - 1) % 26));
    return "(" + letters + ")";
}

Prepared prepare(const Table& t, const RenderOptions& options) {
    Prepared p;
    const std::size_t labels = label_column_count(t);
    std::vector<bool> keep(t.columns.size(), true);
    std::size_t kept_labels = labels;
    for (std::size_t c = 0; c < labels && t.rows.size() > 1; ++c) {
        const std::string first = cell_text(t.rows[0][c], options);
        const bool same = std::all_of(t.rows.begin(), t.rows.end(),
                                      [&](const auto& row) { return cell_text(row[c], options) == first; });
        if (!same || kept_labels == 1 || t.rows[0][c].kind != Cell::Kind::text) continue;
        keep[c] = false;
        --kept_labels;
        p.constant.push_back(fmt::format("{}: {} in every row", t.columns[c].header, first));
    }
    p.table.id = t.id;
    p.table.title = t.title;
    p.table.notes = t.notes;
    p.labels = kept_labels;
    for (std::size_t c = 0; c < t.columns.size(); ++c)
        if (keep[c]) p.table.columns.push_back(t.columns[c]);
    p.marked.assign(p.table.columns.size(), false);
    std::map<std::string, std::size_t> keys;
    for (const auto& row : t.rows) {
        std::vector<Cell> cells;
        for (std::size_t c = 0; c < row.size(); ++c) {
            if (!keep[c]) continue;
            Cell cell = row[c];
            const bool long_text = c >= labels && !t.columns[c].numeric && cell.kind == Cell::Kind::text &&
                                   code_points(cell.text) > kLongText;
            if (long_text) {
                auto [it, added] = keys.emplace(cell.text, keys.size());
                if (added) p.keyed.push_back(cell.text);
                cell = Cell::of_text(marker(it->second));
                p.marked[cells.size()] = true;
            }
            cells.push_back(std::move(cell));
        }
        p.table.rows.push_back(std::move(cells));
    }
    return p;
}

// Value columns in parts that fit next to the label columns, at up to
// kMaxShrink of their size; a part takes at least kMinPartColumns of them
// (then \altupfit shrinks it more), since a part per column would read worse
// than a smaller font.
std::vector<std::vector<std::size_t>> split_columns(const std::vector<ColumnLayout>& layout, std::size_t labels) {
    constexpr std::size_t kMinPartColumns = 2;
    constexpr double kMaxShrink = 0.85;
    const double budget = kLatexTextWidthPt / kMaxShrink;
    double labels_pt = 0;
    for (std::size_t c = 0; c < labels; ++c) labels_pt += layout[c].width_pt;
    std::vector<std::vector<std::size_t>> parts(1);
    double used = labels_pt;
    for (std::size_t c = labels; c < layout.size(); ++c) {
        if (parts.back().size() >= kMinPartColumns && used + layout[c].width_pt > budget) {
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
    "%   \\usepackage{graphicx}  % \\resizebox: a table wider than \\linewidth is shrunk to fit\n"
    "% (Debian: texlive-latex-recommended and texlive-latex-base);\n"
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

std::string render_table(const Table& original, const RenderOptions& options) {
    const Prepared prepared = prepare(original, options);
    const Table& t = prepared.table;
    std::vector<ColumnLayout> layout;
    for (std::size_t c = 0; c < t.columns.size(); ++c) layout.push_back(layout_column(t, c, options));
    const std::size_t labels = prepared.labels;
    const auto parts = split_columns(layout, labels);
    // Height in lines: rows (two each with intervals), caption and header, the notes
    // at about 85 characters a line of \footnotesize; a page holds about 50.
    double lines = static_cast<double>(t.rows.size()) * (options.confidence_intervals ? 2 : 1) + 6;
    for (const std::string& text : prepared.keyed) lines += std::ceil(static_cast<double>(code_points(text) + 4) / 85.0) * 0.85;
    for (const std::string& text : t.notes) lines += std::ceil(static_cast<double>(code_points(text)) / 85.0) * 0.85;
    const bool marks_after = lines > kPageLines;
    std::string out;
    for (std::size_t p = 0; p < parts.size(); ++p) {
        std::vector<std::size_t> cols;
        for (std::size_t c = 0; c < labels; ++c) cols.push_back(c);
        cols.insert(cols.end(), parts[p].begin(), parts[p].end());
        std::string spec;
        for (std::size_t c : cols) spec += t.columns[c].numeric ? 'r' : 'l';
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
        // Under the table: the marked texts of its part, then (last part) the notes.
        std::vector<std::string> below;
        const bool has_marks =
            std::any_of(parts[p].begin(), parts[p].end(), [&](std::size_t c) { return prepared.marked[c]; });
        if (has_marks && !marks_after)
            for (std::size_t k = 0; k < prepared.keyed.size(); ++k) below.push_back(marker(k) + " " + prepared.keyed[k]);
        if (p + 1 == parts.size()) {
            below.insert(below.end(), prepared.constant.begin(), prepared.constant.end());
            below.insert(below.end(), t.notes.begin(), t.notes.end());
        }
        if (!below.empty()) {
            out += "\\par\\smallskip\n{\\footnotesize\\raggedright\n";
            for (const std::string& line : below) out += escape_latex(line) + "\\par\n";
            out += "}\n";
        }
        out += "\\end{table}\n";
        if (has_marks && marks_after) {  // running text after the float, which it would make taller than a page
            out += fmt::format("{{\\footnotesize\\raggedright\\noindent Notes to Table~\\ref{{tab:{}{}}}:\\par\n", t.id,
                               p == 0 ? "" : fmt::format("-{}", p + 1));
            for (std::size_t k = 0; k < prepared.keyed.size(); ++k)
                out += escape_latex(marker(k) + " " + prepared.keyed[k]) + "\\par\n";
            out += "}\n";
        }
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
        out += "\\documentclass[10pt]{article}\n\\usepackage{booktabs}\n\\usepackage{graphicx}\n"
               "\\begin{document}\n";
    out += kPreambleComment;
    for (const std::string& c : latex.comments) out += "% " + c + "\n";
    out += kFitMacro;
    for (const Table& t : tables) out += render_table(t, options);
    if (latex.standalone) out += "\\end{document}\n";
    return out;
}

}  // namespace altup
