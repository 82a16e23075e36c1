// A format-neutral table (header + cells) and its renderers: Markdown, CSV
// and HTML (LaTeX, which needs a page layout, is in latex_table.hpp). A
// "stat" cell is a summary over seeds: shown as "mean ± std" in text formats,
// split into mean/std/n columns in CSV.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "analysis/statistics.hpp"

namespace altup {

struct Cell {
    enum class Kind { empty, text, number, stat };
    Kind kind = Kind::empty;
    std::string text;  // the text, or a marker appended to a number or stat ("†")
    double number = 0;
    Summary stat;  // already scaled for display
    int precision = 0;

    static Cell empty_cell() { return {}; }
    static Cell of_text(std::string text);
    static Cell of_number(std::optional<double> value, int precision, std::string marker = "");
    static Cell of_stat(const Summary& summary, double scale, int precision);
};

struct Column {
    std::string key;     // machine name (CSV header; stat columns get _mean/_std/_n)
    std::string header;  // human header
    bool numeric = false;
};

struct Table {
    std::string id;  // groups | baseline | pivot | downstream | iso_quality | skipped
    std::string title;
    std::vector<Column> columns;
    std::vector<std::vector<Cell>> rows;
    std::vector<std::string> notes;  // shown under the table
    std::string why_empty;           // a table with no rows is left out; asked for, this says why
};

struct RenderOptions {
    bool confidence_intervals = false;  // add "[lo, hi]" to stat cells / _ci95 columns in CSV
};

std::string render_markdown(const std::vector<Table>& tables, const RenderOptions& options);
// One table: a CSV file holds one, so that any reader (pandas.read_csv) reads it whole.
std::string render_csv(const Table& table, const RenderOptions& options);
std::string render_html_table(const Table& table, const RenderOptions& options);

// Plain text of a cell ("31.00 ± 1.41"), as Markdown and HTML show it.
std::string cell_text(const Cell& cell, const RenderOptions& options);
// The same with another "±" and "no value" ("\\pm", "--" in LaTeX math).
std::string cell_text_with(const Cell& cell, const RenderOptions& options, const std::string& pm, const std::string& none);
std::string fixed_text(double value, int precision);  // "%.{precision}f"

std::string escape_html(const std::string& text);

}  // namespace altup
