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
                               const RenderOptions& options) {
    std::string body;
    body += fmt::format("<h1>altup analyze: {}</h1>\n", escape_html(a.runs_dir));
    body += fmt::format("<p>{} completed trial(s) in {} group(s); {} result file(s) skipped ({} still running).</p>\n",
                        a.loaded.trials.size(), a.groups.size(), a.loaded.skipped.size(), a.loaded.running);
    for (const Table& t : tables) body += render_html_table(t, options);
    body += "<section id=\"figures\">\n<h2>Figures</h2>\n";
    // Each figure is its own data: URI so the SVGs' internal ids cannot collide in the page.
    for (const EmbeddedFigure& f : figures)
        body += fmt::format("<figure><img alt=\"{0}\" src=\"data:image/svg+xml;base64,{1}\"><figcaption>{0}</figcaption></figure>\n",
                            escape_html(f.title), base64_encode(f.svg));
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
        "thead th {{ border-bottom: 2px solid #444; }}\n"
        "td.num {{ text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }}\n"
        "ul.notes {{ font-size: 0.85em; color: #555; }}\n"
        "figure {{ display: inline-block; margin: 0.5em; }} figure img {{ max-width: 100%; }}\n"
        "</style>\n</head>\n<body>\n{}</body>\n</html>\n",
        escape_html(a.runs_dir), body);
}

}  // namespace altup
