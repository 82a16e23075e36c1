#include "analysis/html_report.hpp"

#include <fmt/format.h>

namespace altup {

std::string base64_encode(const std::string& bytes) {
    static constexpr char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    out.reserve((bytes.size() + 2) / 3 * 4);
    std::size_t i = 0;
    for (; i + 2 < bytes.size(); i += 3) {
        const unsigned v = (static_cast<unsigned char>(bytes[i]) << 16) | (static_cast<unsigned char>(bytes[i + 1]) << 8) |
                           static_cast<unsigned char>(bytes[i + 2]);
        out += {alphabet[(v >> 18) & 63], alphabet[(v >> 12) & 63], alphabet[(v >> 6) & 63], alphabet[v & 63]};
    }
    if (i + 1 == bytes.size()) {
        const unsigned v = static_cast<unsigned char>(bytes[i]) << 16;
        out += {alphabet[(v >> 18) & 63], alphabet[(v >> 12) & 63], '=', '='};
    } else if (i + 2 == bytes.size()) {
        const unsigned v = (static_cast<unsigned char>(bytes[i]) << 16) | (static_cast<unsigned char>(bytes[i + 1]) << 8);
        out += {alphabet[(v >> 18) & 63], alphabet[(v >> 12) & 63], alphabet[(v >> 6) & 63], '='};
    }
    return out;
}

std::string render_html_report(const Analysis& a, const std::vector<Table>& tables,
                               const std::vector<EmbeddedFigure>& figures, const std::vector<std::string>& plot_notes,
                               const RenderOptions& options, const std::vector<ProvenanceLine>& provenance) {
    std::string body;
    body += fmt::format("<h1>altup analyze: {}</h1>\n", escape_html(a.runs_dir));
    body += fmt::format("<p>{} completed trial(s) in {} group(s); {} result file(s) skipped ({} still running, {} invalid).</p>\n",
                        a.loaded.trials.size(), a.groups.size(), a.loaded.skipped.size(), a.loaded.running, a.loaded.invalid);
    if (!provenance.empty()) {
        // What produced these numbers; a field with several values lists each with its trial count.
        body += "<section id=\"provenance\">\n<h2>Provenance</h2>\n<ul class=\"provenance\">\n";
        for (const ProvenanceLine& line : provenance) {
            const std::string text = provenance_text(line);
            const std::size_t colon = text.find(": ");
            const bool mixed = !line.range && (line.values.size() > 1 || line.without > 0);
            body += fmt::format("<li{}><b>{}</b>{}</li>\n", mixed ? " class=\"mixed\"" : "",
                                escape_html(text.substr(0, colon)), escape_html(text.substr(colon)));
        }
        body += "</ul>\n</section>\n";
    }
    for (const Table& t : tables) body += render_html_table(t, options);
    body += "<section id=\"figures\">\n<h2>Figures</h2>\n";
    // Each figure is its own data: URI so the SVGs' internal ids cannot collide in the page.
    for (const EmbeddedFigure& f : figures)
        body += fmt::format("<figure><img alt=\"{0}\" src=\"data:image/svg+xml;base64,{1}\">"
                            "<figcaption><b>{0}</b>{2}</figcaption></figure>\n",
                            escape_html(f.title), base64_encode(f.svg),
                            f.provenance.empty() ? "" : "<br><span class=\"provenance\">" + escape_html(f.provenance) + "</span>");
    if (figures.empty() && plot_notes.empty()) body += "<p>(no figures)</p>\n";
    if (!plot_notes.empty()) {
        body += "<ul class=\"notes\">\n";
        for (const std::string& note : plot_notes) body += "<li>" + escape_html(note) + "</li>\n";
        body += "</ul>\n";
    }
    body += "</section>\n";
    return fmt::format(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>altup analyze: {}</title>\n"
        "<style>\n"
        "body {{ font-family: system-ui, sans-serif; margin: 2em auto; max-width: 80em; padding: 0 1em; color: #222; }}\n"
        "table {{ border-collapse: collapse; margin: 0.5em 0; font-size: 0.9em; }}\n"
        "th, td {{ border-bottom: 1px solid #ccc; padding: 0.25em 0.6em; text-align: left; }}\n"
        "td {{ white-space: nowrap; }} td.long {{ white-space: normal; min-width: 24em; }}\n"
        "thead th {{ border-bottom: 2px solid #444; }}\n"
        "td.num {{ text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }}\n"
        "ul.notes {{ font-size: 0.85em; color: #555; }}\n"
        "div.wide {{ overflow-x: auto; }}\n"
        "ul.provenance {{ font-size: 0.9em; }} li.mixed {{ color: #a33; }}\n"
        // gnuplot's SVG has a viewBox but no size: without a width an <img> of it is 300 px wide.
        "figure {{ display: block; margin: 1.5em 0; }}\n"
        "figure img {{ display: block; width: 100%; height: auto; border: 1px solid #ddd; }}\n"
        "figcaption {{ font-size: 0.9em; margin-top: 0.3em; }} figcaption .provenance {{ color: #555; font-size: 0.9em; }}\n"
        "</style>\n</head>\n<body>\n{}</body>\n</html>\n",
        escape_html(a.runs_dir), body);
}

}  // namespace altup
