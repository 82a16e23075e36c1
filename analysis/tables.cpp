#include "analysis/tables.hpp"

#include <fmt/format.h>

namespace altup {

namespace {
std::string pm(const Stat& s, double scale, int digits) {
    if (!s.present()) return "–";
    if (s.n < 2) return fmt::format("{:.{}f}", s.mean * scale, digits);
    return fmt::format("{:.{}f} ± {:.{}f}", s.mean * scale, digits, s.std * scale, digits);
}
std::string count(const Stat& s) {
    if (!s.present()) return "–";
    const double v = s.mean;
    if (v >= 1e6) return fmt::format("{:.2f}M", v / 1e6);
    if (v >= 1e3) return fmt::format("{:.1f}k", v / 1e3);
    return fmt::format("{:.0f}", v);
}
std::string escape_latex(const std::string& s) {
    std::string out;
    for (char c : s) {
        if (c == '_' || c == '%' || c == '&' || c == '#' || c == '$') out += '\\';
        out += c;
    }
    // ± and Δ as math.
    std::string r;
    for (size_t i = 0; i < out.size(); ++i) {
        if (out.compare(i, 2, "±") == 0) { r += "$\\pm$"; ++i; continue; }
        if (out.compare(i, 2, "Δ") == 0) { r += "$\\Delta$"; ++i; continue; }
        if (out.compare(i, 2, "×") == 0) { r += "$\\times$"; ++i; continue; }
        if (out.compare(i, 3, "–") == 0) { r += "--"; i += 2; continue; }
        r += out[i];
    }
    return r;
}
std::string escape_html(const std::string& s) {
    std::string out;
    for (char c : s) {
        if (c == '<') out += "&lt;";
        else if (c == '>') out += "&gt;";
        else if (c == '&') out += "&amp;";
        else out += c;
    }
    return out;
}
std::string csv_cell(const std::string& s) {
    if (s.find_first_of(",\"\n") == std::string::npos) return s;
    std::string out = "\"";
    for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
    return out + "\"";
}
}  // namespace

Table summary_table(const std::vector<Group>& groups) {
    Table t{"Quality and speed (mean ± std over seeds)",
            {"method", "n", "eval loss", "perplexity", "accuracy (%)", "train tok/s", "ms/step", "infer tok/s", "params", "embedding",
             "non-embedding", "AltUp scalars"},
            {}, {}};
    for (const auto& g : groups) {
        const auto& s = g.stats;
        t.rows.push_back({g.title, std::to_string(g.trials.size()), pm(s.at("eval_loss"), 1, 4), pm(s.at("perplexity"), 1, 2),
                          pm(s.at("accuracy"), 100, 2), pm(s.at("train_tokens_per_s"), 1, 0), pm(s.at("ms_per_step"), 1, 1),
                          pm(s.at("eval_tokens_per_s"), 1, 0), count(s.at("params_total")), count(s.at("params_embedding")),
                          count(s.at("params_non_embedding")), count(s.at("altup_scalars"))});
    }
    return t;
}

Table relative_table(const std::vector<Relative>& rel, const std::string& baseline) {
    Table t{"Against " + baseline + " of the same size",
            {"method", "Δ accuracy (points)", "Δ loss", "train speedup (×)", "train slowdown (%)", "inference speedup (×)"}, {}, {}};
    for (const auto& r : rel)
        t.rows.push_back({r.group->title, fmt::format("{:+.2f}", r.delta_accuracy_points), fmt::format("{:+.4f}", r.delta_loss),
                          fmt::format("{:.3f}", r.train_speedup), fmt::format("{:+.1f}", r.train_slowdown_percent),
                          r.inference_speedup ? fmt::format("{:.3f}", *r.inference_speedup) : "–"});
    if (rel.empty()) t.notes.push_back("no group has a '" + baseline + "' variant of the same size");
    return t;
}

Table pivot_table(const Pivot& p) {
    Table t{"Held-out token accuracy (%) by " + p.key, {"method"}, {}, {}};
    for (const auto& c : p.columns) t.headers.push_back(c);
    for (size_t r = 0; r < p.rows.size(); ++r) {
        std::vector<std::string> row{p.rows[r]};
        for (size_t c = 0; c < p.columns.size(); ++c)
            row.push_back(p.cells[r][c] ? pm(p.cells[r][c]->stats.at("accuracy"), 100, 2) : "–");
        t.rows.push_back(row);
    }
    if (p.columns.empty()) t.notes.push_back("no trial has the label '" + p.key + "'");
    return t;
}

Table iso_quality_table(const std::vector<IsoQuality>& iso, const std::string& baseline) {
    Table t{"Iso-quality speedup over the " + baseline + " family",
            {"method", "accuracy (%)", "train tok/s", baseline + " tok/s at that accuracy", "speedup (×)"}, {}, {}};
    for (const auto& q : iso)
        t.rows.push_back({q.group->title, fmt::format("{:.2f}", 100 * q.group->stats.at("accuracy").mean),
                          fmt::format("{:.0f}", q.group->stats.at("train_tokens_per_s").mean),
                          q.baseline_tokens_per_s ? fmt::format("{:.0f}", *q.baseline_tokens_per_s) : "–",
                          q.speedup ? fmt::format("{:.3f}", *q.speedup) : q.note});
    t.notes.push_back("The " + baseline + "'s training tokens/s, interpolated linearly in accuracy between its sizes; "
                      "no number where that would extrapolate.");
    return t;
}

std::string render_markdown(const std::vector<Table>& tables) {
    std::string out;
    for (const auto& t : tables) {
        out += "### " + t.title + "\n\n|";
        for (const auto& h : t.headers) out += " " + h + " |";
        out += "\n|";
        for (size_t i = 0; i < t.headers.size(); ++i) out += i ? "---:|" : "---|";
        out += "\n";
        for (const auto& r : t.rows) {
            out += "|";
            for (const auto& c : r) out += " " + c + " |";
            out += "\n";
        }
        for (const auto& n : t.notes) out += "\n" + n + "\n";
        out += "\n";
    }
    return out;
}

std::string render_csv(const std::vector<Table>& tables) {
    std::string out;
    for (const auto& t : tables) {
        out += "# " + t.title + "\n";
        for (size_t i = 0; i < t.headers.size(); ++i) out += (i ? "," : "") + csv_cell(t.headers[i]);
        out += "\n";
        for (const auto& r : t.rows) {
            for (size_t i = 0; i < r.size(); ++i) out += (i ? "," : "") + csv_cell(r[i]);
            out += "\n";
        }
        out += "\n";
    }
    return out;
}

std::string render_latex(const std::vector<Table>& tables) {
    std::string out = "% \\usepackage{booktabs}\n";
    for (const auto& t : tables) {
        out += "\\begin{table}[t]\n\\centering\n\\caption{" + escape_latex(t.title) + "}\n\\begin{tabular}{l" +
               std::string(t.headers.size() - 1, 'r') + "}\n\\toprule\n";
        for (size_t i = 0; i < t.headers.size(); ++i) out += (i ? " & " : "") + escape_latex(t.headers[i]);
        out += " \\\\\n\\midrule\n";
        for (const auto& r : t.rows) {
            for (size_t i = 0; i < r.size(); ++i) out += (i ? " & " : "") + escape_latex(r[i]);
            out += " \\\\\n";
        }
        out += "\\bottomrule\n\\end{tabular}\n\\end{table}\n\n";
    }
    return out;
}

std::string render_html_tables(const std::vector<Table>& tables) {
    std::string out;
    for (const auto& t : tables) {
        out += "<h2>" + escape_html(t.title) + "</h2>\n<table>\n<tr>";
        for (const auto& h : t.headers) out += "<th>" + escape_html(h) + "</th>";
        out += "</tr>\n";
        for (const auto& r : t.rows) {
            out += "<tr>";
            for (const auto& c : r) out += "<td>" + escape_html(c) + "</td>";
            out += "</tr>\n";
        }
        out += "</table>\n";
        for (const auto& n : t.notes) out += "<p class=\"note\">" + escape_html(n) + "</p>\n";
    }
    return out;
}

nlohmann::json report_json(const std::vector<Group>& groups, const std::vector<Relative>& rel, const std::vector<IsoQuality>& iso) {
    nlohmann::json j;
    j["groups"] = nlohmann::json::array();
    for (const auto& g : groups) {
        nlohmann::json gj = {{"labels", g.labels}, {"title", g.title}, {"n", g.trials.size()}};
        for (const auto& [name, s] : g.stats)
            gj["stats"][name] = s.present() ? nlohmann::json{{"mean", s.mean}, {"std", s.std}, {"ci95", s.ci95}, {"n", s.n}}
                                            : nlohmann::json(nullptr);
        for (const TrialResult* t : g.trials) gj["trials"].push_back(t->trial_id);
        j["groups"].push_back(gj);
    }
    j["relative"] = nlohmann::json::array();
    for (const auto& r : rel)
        j["relative"].push_back({{"method", r.group->title}, {"baseline", r.baseline->title},
                                 {"delta_accuracy_points", r.delta_accuracy_points}, {"delta_loss", r.delta_loss},
                                 {"train_speedup", r.train_speedup}, {"train_slowdown_percent", r.train_slowdown_percent},
                                 {"inference_speedup", r.inference_speedup ? nlohmann::json(*r.inference_speedup) : nlohmann::json(nullptr)}});
    j["iso_quality"] = nlohmann::json::array();
    for (const auto& q : iso)
        j["iso_quality"].push_back({{"method", q.group->title},
                                    {"speedup", q.speedup ? nlohmann::json(*q.speedup) : nlohmann::json(nullptr)},
                                    {"baseline_tokens_per_s", q.baseline_tokens_per_s ? nlohmann::json(*q.baseline_tokens_per_s) : nlohmann::json(nullptr)},
                                    {"note", q.note}});
    return j;
}

}  // namespace altup
