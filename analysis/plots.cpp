#include "analysis/plots.hpp"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <stdexcept>

#include <fmt/format.h>

namespace altup {
namespace fs = std::filesystem;

namespace {
std::string quote(const std::string& s) {
    std::string out = "'";
    for (char c : s) out += c == '\'' ? std::string("''") : std::string(1, c);
    return out + "'";
}

std::string variant_of(const Group& g) {
    auto it = g.labels.find("variant");
    return it != g.labels.end() ? it->second : g.title;
}

void run_gnuplot(const fs::path& script) {
    if (std::system("command -v gnuplot >/dev/null 2>&1") != 0)
        throw std::runtime_error("plots need gnuplot: apt-get install gnuplot-nox");
    const std::string cmd = "gnuplot " + quote(script.string()) + " 2>" + quote((script.string() + ".log"));
    if (std::system(cmd.c_str()) != 0) {
        std::ifstream log(script.string() + ".log");
        std::string text((std::istreambuf_iterator<char>(log)), std::istreambuf_iterator<char>());
        throw std::runtime_error("gnuplot failed on " + script.string() + ":\n" + text);
    }
}

// Writes the same plot body for the svg and pngcairo terminals.
void render(const fs::path& dir, const std::string& name, const std::string& body, PlotFiles& files) {
    const fs::path script = dir / (name + ".gp");
    std::ofstream gp(script);
    for (const char* ext : {"svg", "png"}) {
        const fs::path out = dir / (name + "." + ext);
        gp << (std::string(ext) == "svg" ? "set terminal svg size 800,520 enhanced font 'sans,11' background rgb 'white'\n"
                                         : "set terminal pngcairo size 1000,650 enhanced font 'sans,11'\n")
           << "set output " << quote(out.string()) << "\n"
           << body << "unset output\n";
        (std::string(ext) == "svg" ? files.svg : files.png).push_back(out.string());
    }
    gp.close();
    run_gnuplot(script);
}
}  // namespace

std::vector<size_t> pareto_front(const std::vector<std::pair<double, double>>& pts) {
    std::vector<size_t> front;
    for (size_t i = 0; i < pts.size(); ++i) {
        bool dominated = false;
        for (size_t j = 0; j < pts.size() && !dominated; ++j)
            dominated = j != i && pts[j].first >= pts[i].first && pts[j].second >= pts[i].second &&
                        (pts[j].first > pts[i].first || pts[j].second > pts[i].second);
        if (!dominated) front.push_back(i);
    }
    std::sort(front.begin(), front.end(), [&](size_t a, size_t b) { return pts[a].first < pts[b].first; });
    return front;
}

PlotFiles write_plots(const std::vector<Group>& groups, const std::string& out_dir) {
    const fs::path dir(out_dir);
    fs::create_directories(dir / "data");
    PlotFiles files;

    // Quality vs speed: one data block per method; error bars = std over seeds.
    std::map<std::string, std::vector<const Group*>> by_method;
    std::vector<std::string> methods;
    std::vector<std::pair<double, double>> pts;
    std::vector<const Group*> pt_groups;
    for (const auto& g : groups) {
        if (!g.stats.at("train_tokens_per_s").present() || !g.stats.at("accuracy").present()) continue;
        if (!by_method.count(variant_of(g))) methods.push_back(variant_of(g));
        by_method[variant_of(g)].push_back(&g);
        pts.emplace_back(g.stats.at("train_tokens_per_s").mean, 100 * g.stats.at("accuracy").mean);
        pt_groups.push_back(&g);
    }
    {
        std::ofstream data(dir / "data" / "quality_vs_speed.dat");
        for (const auto& m : methods) {
            data << "# " << m << "\n";
            for (const Group* g : by_method[m])
                data << g->stats.at("train_tokens_per_s").mean << ' ' << 100 * g->stats.at("accuracy").mean << ' '
                     << g->stats.at("train_tokens_per_s").std << ' ' << 100 * g->stats.at("accuracy").std << "\n";
            data << "\n\n";
        }
        std::ofstream front(dir / "data" / "pareto_front.dat");
        for (size_t i : pareto_front(pts)) front << pts[i].first << ' ' << pts[i].second << "\n";
    }
    std::string body = "set title 'Held-out accuracy against training speed'\nset xlabel 'training tokens/s'\n"
                       "set ylabel 'token accuracy (%)'\nset grid\nset key outside right\nplot ";
    for (size_t i = 0; i < methods.size(); ++i)
        body += fmt::format("{} index {} using 1:2:3:4 with xyerrorbars pt {} ps 1.3 title {}, ", quote((dir / "data" / "quality_vs_speed.dat").string()),
                            i, 5 + 2 * int(i % 6), quote(methods[i]));
    body += quote((dir / "data" / "pareto_front.dat").string()) + " using 1:2 with lines dt 2 lc rgb 'gray40' title 'Pareto front'\n";
    if (!methods.empty()) render(dir, "quality_vs_speed", body, files);

    // Validation loss curves, one line per trial.
    std::string curve_plots_step, curve_plots_time;
    int block = 0;
    {
        std::ofstream data(dir / "data" / "curves.dat");
        for (const auto& g : groups)
            for (const TrialResult* t : g.trials) {
                if (t->curve.empty()) continue;
                auto seed = t->labels.find("seed");
                const std::string title = g.title + (seed != t->labels.end() ? " seed " + seed->second : "");
                data << "# " << title << "\n";
                for (const auto& p : t->curve) data << p.step << ' ' << p.time_s << ' ' << p.loss << "\n";
                data << "\n\n";
                const std::string src = quote((dir / "data" / "curves.dat").string());
                curve_plots_step += fmt::format("{}{} index {} using 1:3 with linespoints title {}", block ? ", " : "", src, block, quote(title));
                curve_plots_time += fmt::format("{}{} index {} using 2:3 with linespoints title {}", block ? ", " : "", src, block, quote(title));
                ++block;
            }
    }
    if (block > 0) {
        const std::string common = "set ylabel 'validation loss (nats)'\nset grid\nset key outside right\n";
        render(dir, "loss_vs_step", "set title 'Validation loss'\nset xlabel 'step'\n" + common + "plot " + curve_plots_step + "\n", files);
        render(dir, "loss_vs_time", "set title 'Validation loss'\nset xlabel 'wall-clock time (s)'\n" + common + "plot " + curve_plots_time + "\n", files);
    }
    return files;
}

}  // namespace altup
