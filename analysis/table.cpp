#include "analysis/table.hpp"

#include <fmt/format.h>

namespace altup {

Cell Cell::of_text(std::string text) {
    Cell c;
    c.kind = Kind::text;
    c.text = std::move(text);
    return c;
}

Cell Cell::of_number(std::optional<double> value, int precision, std::string marker) {
    Cell c;
    if (!value) {
        c.text = std::move(marker);
        c.kind = c.text.empty() ? Kind::empty : Kind::text;
        return c;
    }
    c.kind = Kind::number;
    c.number = *value;
    c.precision = precision;
    c.text = std::move(marker);
    return c;
}

Cell Cell::of_stat(const Summary& summary, double scale, int precision) {
    Cell c;
    c.kind = summary.mean ? Kind::stat : Kind::empty;
    c.stat.n = summary.n;
    if (summary.mean) c.stat.mean = *summary.mean * scale;
    if (summary.stddev) c.stat.stddev = *summary.stddev * scale;
    if (summary.ci95) c.stat.ci95 = *summary.ci95 * scale;
    c.precision = precision;
    return c;
}

namespace {

std::string fixed(double v, int precision) { return fmt::format("{:.{}f}", v, precision); }

// Shared by the text formats; `pm` is how each writes "±".
std::string stat_text(const Cell& c, const RenderOptions& options, const std::string& pm) {
    std::string s = fixed(*c.stat.mean, c.precision);
    if (c.stat.stddev) s += " " + pm + " " + fixed(*c.stat.stddev, c.precision);
    if (options.confidence_intervals && c.stat.ci95)
        s += fmt::format(" [{}, {}]", fixed(*c.stat.mean - *c.stat.ci95, c.precision),
                         fixed(*c.stat.mean + *c.stat.ci95, c.precision));
    return s;
}

std::string text_of(const Cell& c, const RenderOptions& options, const std::string& pm, const std::string& none) {
    switch (c.kind) {
        case Cell::Kind::empty: return none;
        case Cell::Kind::text: return c.text;
        case Cell::Kind::number: return fixed(c.number, c.precision) + c.text;
        case Cell::Kind::stat: return stat_text(c, options, pm) + c.text;
    }
    return none;
}

std::string escape_markdown(const std::string& text) {
    std::string out;
    for (char ch : text) {
        if (ch == '|') out += '\\';
        out += ch == '\n' ? ' ' : ch;
    }
    return out;
}

std::string csv_field(const std::string& text) {
    if (text.find_first_of(",\"\n\r") == std::string::npos) return text;
    std::string out = "\"";
    for (char ch : text) out += ch == '"' ? std::string("\"\"") : std::string(1, ch);
    return out + "\"";
}

// Near-full precision in CSV (read by programs), without binary noise like 36.99999999999999.
std::string csv_number(double v) { return fmt::format("{:.12g}", v); }

bool is_stat_column(const Table& t, std::size_t col) {
    for (const auto& row : t.rows)
        if (row[col].kind == Cell::Kind::stat) return true;
    return false;
}

}  // namespace

std::string cell_text(const Cell& cell, const RenderOptions& options) { return text_of(cell, options, "±", "—"); }

std::string cell_text_with(const Cell& cell, const RenderOptions& options, const std::string& pm, const std::string& none) {
    return text_of(cell, options, pm, none);
}

std::string fixed_text(double value, int precision) { return fixed(value, precision); }

std::string escape_html(const std::string& text) {
    std::string out;
    for (char ch : text) {
        switch (ch) {
            case '&': out += "&amp;"; break;
            case '<': out += "&lt;"; break;
            case '>': out += "&gt;"; break;
            case '"': out += "&quot;"; break;
            default: out += ch;
        }
    }
    return out;
}

std::string render_markdown(const std::vector<Table>& tables, const RenderOptions& options) {
    std::string out;
    for (const Table& t : tables) {
        if (!out.empty()) out += "\n";
        out += fmt::format("## {}\n\n", t.title);
        if (t.rows.empty()) {
            out += "(no rows)\n";
        } else {
            std::string header = "|", rule = "|";
            for (const Column& c : t.columns) {
                header += " " + escape_markdown(c.header) + " |";
                rule += c.numeric ? "---:|" : "---|";
            }
            out += header + "\n" + rule + "\n";
            for (const auto& row : t.rows) {
                std::string line = "|";
                for (const Cell& cell : row) line += " " + escape_markdown(cell_text(cell, options)) + " |";
                out += line + "\n";
            }
        }
        if (!t.notes.empty()) out += "\n";
        for (const std::string& note : t.notes) out += "- " + note + "\n";
    }
    return out;
}

std::string render_csv(const Table& t, const RenderOptions& options) {
    std::string out;
    std::vector<bool> stat_cols;
    std::vector<std::string> header;
    for (std::size_t c = 0; c < t.columns.size(); ++c) {
        stat_cols.push_back(is_stat_column(t, c));
        const std::string& key = t.columns[c].key;
        if (!stat_cols.back()) {
            header.push_back(key);
            continue;
        }
        header.insert(header.end(), {key + "_mean", key + "_std", key + "_n"});
        if (options.confidence_intervals) header.push_back(key + "_ci95");
    }
    out += fmt::format("{}\n", fmt::join(header, ","));
    for (const auto& row : t.rows) {
        std::vector<std::string> fields;
        for (std::size_t c = 0; c < row.size(); ++c) {
            const Cell& cell = row[c];
            if (stat_cols[c]) {
                const Summary& s = cell.stat;
                const bool has = cell.kind == Cell::Kind::stat;
                fields.push_back(has && s.mean ? csv_number(*s.mean) : "");
                fields.push_back(has && s.stddev ? csv_number(*s.stddev) : "");
                fields.push_back(has ? std::to_string(s.n) : "0");
                if (options.confidence_intervals) fields.push_back(has && s.ci95 ? csv_number(*s.ci95) : "");
            } else if (cell.kind == Cell::Kind::number) {
                fields.push_back(csv_number(cell.number));
            } else {
                fields.push_back(csv_field(cell.kind == Cell::Kind::text ? cell.text : ""));
            }
        }
        out += fmt::format("{}\n", fmt::join(fields, ","));
    }
    return out;
}

std::string render_html_table(const Table& t, const RenderOptions& options) {
    std::string out = fmt::format("<section id=\"{}\">\n<h2>{}</h2>\n", escape_html(t.id), escape_html(t.title));
    if (t.rows.empty()) {
        out += "<p>(no rows)</p>\n";
    } else {
        out += "<div class=\"wide\"><table>\n<thead><tr>";
        for (const Column& c : t.columns) out += fmt::format("<th>{}</th>", escape_html(c.header));
        out += "</tr></thead>\n<tbody>\n";
        for (const auto& row : t.rows) {
            out += "<tr>";
            for (std::size_t i = 0; i < row.size(); ++i) {
                const std::string text = cell_text(row[i], options);
                // Cells stay on one line (a label cut as "recycled-/k2" misreads), but a sentence wraps.
                const char* cls = t.columns[i].numeric ? " class=\"num\"" : text.size() > 40 ? " class=\"long\"" : "";
                out += fmt::format("<td{}>{}</td>", cls, escape_html(text));
            }
            out += "</tr>\n";
        }
        out += "</tbody>\n</table></div>\n";
    }
    if (!t.notes.empty()) {
        out += "<ul class=\"notes\">\n";
        for (const std::string& note : t.notes) out += "<li>" + escape_html(note) + "</li>\n";
        out += "</ul>\n";
    }
    return out + "</section>\n";
}

}  // namespace altup
