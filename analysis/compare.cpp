#include "analysis/compare.hpp"

#include <algorithm>
#include <map>

#include <fmt/format.h>

namespace altup {

namespace {
std::string variant_of(const Group& g) {
    auto it = g.labels.find("variant");
    return it != g.labels.end() ? it->second : g.title;
}

int preset_rank(const std::string& v) {
    static const char* ladder[] = {"tiny", "small", "base", "large"};
    for (int i = 0; i < 4; ++i)
        if (v == ladder[i]) return i;
    return -1;
}
}  // namespace

std::string size_key(const Group& g) {
    std::string k;
    for (const auto& [name, v] : g.labels)
        if (name != "variant") k += name + "=" + v + ";";
    return k;
}

std::vector<Relative> relative_to_baseline(const std::vector<Group>& groups, const std::string& baseline) {
    std::map<std::string, const Group*> base_by_size;
    for (const auto& g : groups)
        if (variant_of(g) == baseline) base_by_size[size_key(g)] = &g;
    std::vector<Relative> out;
    for (const auto& g : groups) {
        if (variant_of(g) == baseline) continue;
        auto it = base_by_size.find(size_key(g));
        if (it == base_by_size.end()) continue;
        const Group& b = *it->second;
        const auto& s = g.stats;
        const auto& t = b.stats;
        Relative r{&g, &b, 100.0 * (s.at("accuracy").mean - t.at("accuracy").mean), s.at("eval_loss").mean - t.at("eval_loss").mean,
                   0, 0, std::nullopt};
        if (s.at("train_tokens_per_s").present() && t.at("train_tokens_per_s").present())
            r.train_speedup = s.at("train_tokens_per_s").mean / t.at("train_tokens_per_s").mean;
        if (s.at("ms_per_step").present() && t.at("ms_per_step").present())
            r.train_slowdown_percent = 100.0 * (s.at("ms_per_step").mean / t.at("ms_per_step").mean - 1.0);
        if (s.at("eval_tokens_per_s").present() && t.at("eval_tokens_per_s").present())
            r.inference_speedup = s.at("eval_tokens_per_s").mean / t.at("eval_tokens_per_s").mean;
        out.push_back(r);
    }
    return out;
}

Pivot make_pivot(const std::vector<Group>& groups, const std::string& key) {
    Pivot p;
    p.key = key;
    for (const auto& g : groups) {
        auto it = g.labels.find(key);
        if (it == g.labels.end()) continue;
        if (std::find(p.columns.begin(), p.columns.end(), it->second) == p.columns.end()) p.columns.push_back(it->second);
        const std::string row = variant_of(g);
        if (std::find(p.rows.begin(), p.rows.end(), row) == p.rows.end()) p.rows.push_back(row);
    }
    const bool presets = std::all_of(p.columns.begin(), p.columns.end(), [](const std::string& c) { return preset_rank(c) >= 0; });
    std::sort(p.columns.begin(), p.columns.end(), [&](const std::string& a, const std::string& b) {
        if (presets) return preset_rank(a) < preset_rank(b);
        try {
            return std::stod(a) < std::stod(b);
        } catch (const std::exception&) {
            return a < b;
        }
    });
    p.cells.assign(p.rows.size(), std::vector<const Group*>(p.columns.size(), nullptr));
    for (const auto& g : groups) {
        auto it = g.labels.find(key);
        if (it == g.labels.end()) continue;
        const size_t r = std::find(p.rows.begin(), p.rows.end(), variant_of(g)) - p.rows.begin();
        const size_t c = std::find(p.columns.begin(), p.columns.end(), it->second) - p.columns.begin();
        p.cells[r][c] = &g;
    }
    return p;
}

std::vector<IsoQuality> iso_quality_speedups(const std::vector<Group>& groups, const std::string& baseline) {
    std::vector<std::pair<double, double>> curve;  // (accuracy, tokens/s) of the baseline family
    for (const auto& g : groups)
        if (variant_of(g) == baseline && g.stats.at("train_tokens_per_s").present())
            curve.emplace_back(g.stats.at("accuracy").mean, g.stats.at("train_tokens_per_s").mean);
    std::sort(curve.begin(), curve.end());
    std::vector<IsoQuality> out;
    for (const auto& g : groups) {
        if (variant_of(g) == baseline) continue;
        IsoQuality q{&g, std::nullopt, std::nullopt, ""};
        const double acc = g.stats.at("accuracy").mean;
        if (curve.size() < 2) {
            q.note = "needs the baseline at two or more sizes";
        } else if (!g.stats.at("train_tokens_per_s").present()) {
            q.note = "no training speed recorded";
        } else if (acc < curve.front().first || acc > curve.back().first) {
            q.note = fmt::format("would extrapolate: accuracy {:.2f}% is outside the baseline's {:.2f}%..{:.2f}%", 100 * acc,
                                 100 * curve.front().first, 100 * curve.back().first);
        } else {
            for (size_t i = 0; i + 1 < curve.size(); ++i) {
                const auto [a0, s0] = curve[i];
                const auto [a1, s1] = curve[i + 1];
                if (acc < a0 || acc > a1) continue;
                const double w = a1 > a0 ? (acc - a0) / (a1 - a0) : 0.0;
                q.baseline_tokens_per_s = s0 + w * (s1 - s0);
                q.speedup = g.stats.at("train_tokens_per_s").mean / *q.baseline_tokens_per_s;
                break;
            }
        }
        out.push_back(q);
    }
    return out;
}

}  // namespace altup
