// Which speed figures a group's table cells show: the interleaved
// measurements `altup bench` wrote (<sweep>/bench/<speed id>.json), when one
// matches the group's speed configuration, or else the trials' own timing,
// flagged when its step times spread like a loaded machine's
// (docs/analysis.md, "Speed sources").
#pragma once
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "analysis/baseline_comparison.hpp"
#include "analysis/grouping.hpp"

namespace altup {

// A trial-timed step-time spread p90/p10 above this marks a loaded machine.
inline constexpr double kLoadedSpread = 1.3;
inline constexpr const char* kLoadedMarker = "‡";  // on trial-timed speeds of a loaded machine
inline constexpr const char* kMixedMarker = "§";   // on a speedup whose two speeds have different sources

// One bench file, as read.
struct BenchSpeed {
    std::string path;
    std::string speed_config_id;
    std::string baseline_id;              // the speed configuration its ratios are relative to
    double ms_median = 0, ms_p10 = 0, ms_p90 = 0;
    double train_tokens_per_s = 0;
    std::vector<double> ratio_per_round;  // ms / baseline ms, in the same round
    std::string cpu, date;                // "AMD EPYC ...", "2026-12-02"
    int threads = 0, rounds = 0;
};

// Reads one bench file; throws AnalysisError naming the file and the key.
BenchSpeed read_bench_file(const std::string& path);

// The speed configuration a trial ran: speed_config_id of its result.json's
// config and env.threads, or nullopt when the file lacks them.
std::optional<std::string> trial_speed_config_id(const std::string& result_path);

struct GroupSpeed {
    std::string first_trial;              // path of the group's first result.json: finds the group again
    std::optional<std::string> speed_id;  // when all its trials share one
    std::optional<BenchSpeed> bench;      // the matching bench file, when there is one
    double worst_spread = 0;              // largest trial-timed ms/step p90/p10 (0: unknown)
    bool loaded() const { return !bench && trials_loaded(); }
    // The trials' own timing shows a loaded machine (whatever replaced it): their
    // eval tok/s, always trial-timed, were taken at that load too.
    bool trials_loaded() const { return worst_spread > kLoadedSpread; }
};

struct SpeedSources {
    std::vector<GroupSpeed> groups;       // parallel to the groups
    std::vector<std::string> problems;    // bench files that could not be used, with the reason
};

// Loads and matches: the bench file of each group is
// <folder of the sweep's trial folders>/bench/<speed id>.json.
SpeedSources find_bench_speeds(const std::vector<Group>& groups);

// Groups with a bench file get its train tok/s and ms/step in place of their trials' timing.
void apply_bench_speeds(std::vector<Group>& groups, const SpeedSources& speeds);

// A comparison of two bench-timed groups where the bench measured the group
// against that very baseline takes the per-round ratio: speedup = median of
// baseline ms / ms over the rounds, slowdown = median of ms / baseline ms − 1.
void apply_bench_ratios(BaselineComparisons& comparisons, const SpeedSources& speeds);

// Report hooks: the marker a group's metric cell carries (kLoadedMarker on the
// train speed of a loaded trial-timed group, else ""),
// the one a comparison's speedup carries, and the notes explaining the sources.
const GroupSpeed* speed_of(const SpeedSources& speeds, const Group& group);
std::string speed_marker(const SpeedSources& speeds, const Group& group, Metric metric);  // eval tok/s too
std::string comparison_speed_marker(const SpeedSources& speeds, const BaselineComparison& comparison);
// The inference speedup's: kLoadedMarker when either group's trials ran loaded.
std::string eval_speed_marker(const SpeedSources& speeds, const BaselineComparison& comparison);
// With `comparisons`: also the note on speedups whose two speeds have different sources.
std::vector<std::string> speed_source_notes(const SpeedSources& speeds, const BaselineComparisons* comparisons = nullptr);

}  // namespace altup
