#include "analysis/bench_speeds.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "analysis/analysis_error.hpp"
#include "util/quantile.hpp"
#include "util/speed_config.hpp"

namespace altup {
namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

std::optional<json> read_json(const std::string& path) {
    std::ifstream in(path);
    if (!in) return std::nullopt;
    json j = json::parse(in, nullptr, false);
    if (j.is_discarded() || !j.is_object()) return std::nullopt;
    return j;
}

const json& at_path(const json& root, const std::string& dotted, const std::string& file) {
    const json* node = &root;
    size_t start = 0;
    while (true) {
        const size_t dot = dotted.find('.', start);
        const std::string key = dotted.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
        if (!node->is_object() || !node->contains(key))
            throw AnalysisError(fmt::format("{}: missing key '{}'", file, dotted));
        node = &(*node)[key];
        if (dot == std::string::npos) return *node;
        start = dot + 1;
    }
}

double number_at(const json& root, const std::string& dotted, const std::string& file) {
    const json& v = at_path(root, dotted, file);
    if (!v.is_number()) throw AnalysisError(fmt::format("{}: '{}' should be a number", file, dotted));
    return v.get<double>();
}

std::string text_at(const json& root, const std::string& dotted, const std::string& file) {
    const json& v = at_path(root, dotted, file);
    if (!v.is_string()) throw AnalysisError(fmt::format("{}: '{}' should be a string", file, dotted));
    return v.get<std::string>();
}

// A trial's step-time spread p90/p10 from its result.json; 0 when not recorded.
double step_spread(const json& r) {
    if (!r.contains("speed") || !r["speed"].is_object()) return 0;
    const json& ms = r["speed"].value("ms_per_step", json());
    if (!ms.is_object() || !ms.value("p10", json()).is_number() || !ms.value("p90", json()).is_number()) return 0;
    const double p10 = ms["p10"].get<double>(), p90 = ms["p90"].get<double>();
    return p10 > 0 ? p90 / p10 : 0;
}

std::string bench_description(const BenchSpeed& b) {
    return fmt::format("altup bench (interleaved, {} rounds, {}, {} thread{}, {})", b.rounds, b.cpu.empty() ? "unknown CPU" : b.cpu,
                       b.threads, b.threads == 1 ? "" : "s", b.date);
}

}  // namespace

BenchSpeed read_bench_file(const std::string& path) {
    const std::optional<json> j = read_json(path);
    if (!j) throw AnalysisError(fmt::format("{}: not a readable JSON object", path));
    BenchSpeed b;
    b.path = path;
    b.speed_config_id = text_at(*j, "speed_config_id", path);
    b.baseline_id = text_at(*j, "baseline.speed_config_id", path);
    b.ms_median = number_at(*j, "ms_per_step.median", path);
    b.ms_p10 = number_at(*j, "ms_per_step.p10", path);
    b.ms_p90 = number_at(*j, "ms_per_step.p90", path);
    b.train_tokens_per_s = number_at(*j, "train_tokens_per_s", path);
    const json& rounds = at_path(*j, "ratio_to_baseline.per_round", path);
    if (!rounds.is_array() || rounds.empty())
        throw AnalysisError(fmt::format("{}: 'ratio_to_baseline.per_round' should be a non-empty list of numbers", path));
    for (const json& r : rounds) {
        if (!r.is_number() || r.get<double>() <= 0)
            throw AnalysisError(fmt::format("{}: 'ratio_to_baseline.per_round' should hold positive numbers", path));
        b.ratio_per_round.push_back(r.get<double>());
    }
    b.cpu = text_at(*j, "env.cpu", path);
    b.date = text_at(*j, "date", path).substr(0, 10);
    b.threads = int(number_at(*j, "env.threads", path));
    b.rounds = int(number_at(*j, "method.rounds", path));
    return b;
}

std::optional<std::string> trial_speed_config_id(const std::string& result_path) {
    const std::optional<json> r = read_json(result_path);
    if (!r || !r->contains("config") || !r->contains("env") || !(*r)["env"].is_object() ||
        !(*r)["env"].value("threads", json()).is_number_integer())
        return std::nullopt;
    try {
        return speed_config_id((*r)["config"], (*r)["env"]["threads"].get<int>());
    } catch (const std::exception&) {
        return std::nullopt;  // an older config without the keys: no speed configuration
    }
}

SpeedSources find_bench_speeds(const std::vector<Group>& groups) {
    SpeedSources out;
    std::map<std::string, std::optional<BenchSpeed>> read;  // by path: each file once
    for (const Group& g : groups) {
        GroupSpeed s;
        s.first_trial = g.trials.empty() ? std::string() : g.trials.front().path;
        std::set<std::string> ids, folders;
        bool every_id = true;
        for (const TrialResult& t : g.trials) {
            if (const std::optional<json> r = read_json(t.path)) s.worst_spread = std::max(s.worst_spread, step_spread(*r));
            const std::optional<std::string> id = trial_speed_config_id(t.path);
            every_id = every_id && id.has_value();
            if (id) ids.insert(*id);
            folders.insert(fs::path(t.path).parent_path().parent_path().string());
        }
        if (every_id && ids.size() == 1 && folders.size() == 1) {
            s.speed_id = *ids.begin();
            const std::string path = (fs::path(*folders.begin()) / "bench" / (*s.speed_id + ".json")).string();
            if (!read.count(path)) {
                read[path] = std::nullopt;
                if (fs::exists(path)) {
                    try {
                        read[path] = read_bench_file(path);
                        if (read[path]->speed_config_id != *s.speed_id) {
                            out.problems.push_back(fmt::format("{}: its speed_config_id is {}, not the {} its name says", path,
                                                               read[path]->speed_config_id, *s.speed_id));
                            read[path] = std::nullopt;
                        }
                    } catch (const AnalysisError& e) {
                        out.problems.push_back(e.what());
                    }
                }
            }
            s.bench = read[path];
        }
        out.groups.push_back(std::move(s));
    }
    return out;
}

void apply_bench_speeds(std::vector<Group>& groups, const SpeedSources& speeds) {
    for (std::size_t i = 0; i < groups.size() && i < speeds.groups.size(); ++i) {
        const std::optional<BenchSpeed>& b = speeds.groups[i].bench;
        if (!b) continue;
        // One measurement, not a mean over seeds: no spread in the cell (the notes give the rounds' p10-p90).
        groups[i].stats[metric_index(Metric::train_tokens_per_s)] = summarize({b->train_tokens_per_s});
        groups[i].stats[metric_index(Metric::ms_per_step)] = summarize({b->ms_median});
    }
}

void apply_bench_ratios(BaselineComparisons& comparisons, const SpeedSources& speeds) {
    for (BaselineComparison& c : comparisons.rows) {
        if (c.group >= speeds.groups.size() || c.baseline >= speeds.groups.size()) continue;
        const GroupSpeed& g = speeds.groups[c.group];
        const GroupSpeed& b = speeds.groups[c.baseline];
        if (!g.bench || !b.bench || g.bench->baseline_id != *b.speed_id) continue;
        std::vector<double> speedups;
        for (double r : g.bench->ratio_per_round) speedups.push_back(1.0 / r);
        c.train_speedup = median(speedups);
        c.train_slowdown_percent = (median(g.bench->ratio_per_round) - 1.0) * 100.0;
    }
}

const GroupSpeed* speed_of(const SpeedSources& speeds, const Group& group) {
    if (group.trials.empty()) return nullptr;
    for (const GroupSpeed& s : speeds.groups)
        if (s.first_trial == group.trials.front().path) return &s;
    return nullptr;
}

std::string speed_marker(const SpeedSources& speeds, const Group& group, Metric metric) {
    const GroupSpeed* s = speed_of(speeds, group);
    if (!s) return "";
    if (metric == Metric::eval_tokens_per_s) return s->trials_loaded() ? kLoadedMarker : "";
    if (metric != Metric::train_tokens_per_s && metric != Metric::ms_per_step) return "";
    return s->loaded() ? kLoadedMarker : "";
}

std::string eval_speed_marker(const SpeedSources& speeds, const BaselineComparison& c) {
    if (c.group >= speeds.groups.size() || c.baseline >= speeds.groups.size()) return "";
    return speeds.groups[c.group].trials_loaded() || speeds.groups[c.baseline].trials_loaded() ? kLoadedMarker : "";
}

std::string comparison_speed_marker(const SpeedSources& speeds, const BaselineComparison& c) {
    if (c.group >= speeds.groups.size() || c.baseline >= speeds.groups.size()) return "";
    const GroupSpeed& g = speeds.groups[c.group];
    const GroupSpeed& b = speeds.groups[c.baseline];
    if (g.bench.has_value() != b.bench.has_value()) return kMixedMarker;
    return g.loaded() || b.loaded() ? kLoadedMarker : "";
}

std::vector<std::string> speed_source_notes(const SpeedSources& speeds, const BaselineComparisons* comparisons) {
    std::vector<std::string> notes;
    std::map<std::string, std::size_t> benches;  // description -> groups
    std::size_t trial_timed = 0, loaded = 0, eval_loaded = 0;
    double worst = 0;
    for (const GroupSpeed& s : speeds.groups) {
        if (s.bench) {
            ++benches[bench_description(*s.bench)];
            eval_loaded += s.trials_loaded();
        } else {
            ++trial_timed;
            if (s.loaded()) ++loaded, worst = std::max(worst, s.worst_spread);
        }
    }
    const std::size_t n = speeds.groups.size();
    for (const auto& [description, count] : benches)
        notes.push_back(fmt::format("speed: {} for {} of {} groups (train tok/s, ms/step and train speedup; the speedup is "
                                    "the median over rounds of the per-round ratio to the baseline); eval tok/s: trial timing",
                                    description, count, n));
    if (trial_timed)
        notes.push_back(fmt::format("speed: trial timing (each trial timed its own steps, at whatever load the machine "
                                    "had then) for {} of {} groups; `altup bench` measures them side by side",
                                    trial_timed, n));
    if (loaded)
        notes.push_back(fmt::format("{} trial-timed step times spread p90/p10 > {:.1f} (up to {:.1f}) in {} group(s): the "
                                    "machine was loaded while they trained, so these speeds do not compare; `altup bench` "
                                    "re-measures them",
                                    kLoadedMarker, kLoadedSpread, worst, loaded));
    if (eval_loaded)
        notes.push_back(fmt::format("{} on eval tok/s and inference speedups of {} bench-timed group(s): their trials "
                                    "ran on a loaded machine (step times spread p90/p10 > {:.1f}), and `altup bench` "
                                    "times training steps only, so these inference speeds do not compare",
                                    kLoadedMarker, eval_loaded, kLoadedSpread));
    const bool mixed = comparisons && std::any_of(comparisons->rows.begin(), comparisons->rows.end(), [&](const BaselineComparison& c) {
                           return comparison_speed_marker(speeds, c) == kMixedMarker;
                       });
    if (mixed)
        notes.push_back(fmt::format("{} a speedup between a bench-timed and a trial-timed group: the two speeds come from "
                                    "different measurements",
                                    kMixedMarker));
    for (const std::string& p : speeds.problems) notes.push_back("bench file ignored: " + p);
    return notes;
}

}  // namespace altup
