// What altup bench writes, read back by altup analyze: bench speeds replace the
// trials' own timing, the tables say which source each speed has, and
// trial-timed speeds of a loaded machine are flagged.
#include <stdlib.h>

#include <filesystem>
#include <fstream>

#include <catch2/catch.hpp>

#include "analysis/analysis.hpp"
#include "analysis/bench_speeds.hpp"
#include "analysis/report_tables.hpp"
#include "analysis/table.hpp"
#include "bench/sweep/bench_plan.hpp"
#include "bench/sweep/bench_run.hpp"
#include "experiments/config/config_io.hpp"
#include "util/atomic_file.hpp"

using namespace altup;
namespace fs = std::filesystem;

namespace {

class Scratch {
public:
    Scratch() {
        std::string pattern = (fs::temp_directory_path() / "altup-bench-test-XXXXXX").string();
        path_ = ::mkdtemp(pattern.data()) ? pattern : "";
    }
    ~Scratch() {
        std::error_code ec;
        if (!path_.empty()) fs::remove_all(path_, ec);
    }
    const std::string& path() const { return path_; }

private:
    std::string path_;
};

Config config_of(const std::string& variant) {
    Config c;
    REQUIRE(apply_preset("tiny", c.model));
    c.model.preset = "tiny";
    if (variant == "altup-k2") c.model.altup.k = 2;
    return c;
}

// A completed trial's result.json in <sweep_dir>/<trial id>/, as the trainer writes it (the parts analysis reads).
BenchTrial write_trial(const std::string& sweep_dir, const std::string& variant, double tokens_per_s, double p10, double p90) {
    BenchTrial t;
    t.config = config_of(variant);
    t.id = config_id(t.config);
    t.sweep_dir = sweep_dir;
    t.labels = {{"variant", variant}, {"seed", "1"}};
    t.threads = 1;
    const nlohmann::json r = {
        {"schema_version", 1}, {"trial_id", t.id}, {"name", "n"}, {"sweep", "s"}, {"stage", "pretrain"},
        {"labels", t.labels}, {"status", "completed"}, {"message", ""}, {"diverged_at_step", nullptr},
        {"config", to_json(t.config)},
        {"params", {{"total", 1000}, {"embedding", 600}, {"non_embedding", 400}, {"altup_scalars", 0}}},
        {"quality", {{"eval_loss", 4.0}, {"perplexity", 50.0}, {"token_accuracy", 0.3}, {"curve", nlohmann::json::array()}}},
        {"train", {{"steps_done", 200}, {"wall_time_s", 30.0}}},
        {"speed", {{"train_tokens_per_s", tokens_per_s}, {"ms_per_step", {{"median", 100}, {"p10", p10}, {"p90", p90}}},
                   {"eval_tokens_per_s", 3000}, {"flops_per_step", 2.5e9}}},
        {"env", {{"threads", 1}}}};
    fs::create_directories(fs::path(sweep_dir) / t.id);
    std::ofstream((fs::path(sweep_dir) / t.id / "result.json").string()) << r.dump(2);
    return t;
}

std::string markdown(const Analysis& a, const AnalyzeOptions& o) { return render_markdown(report_tables(a, o, false), {}); }

const BaselineComparison& only_comparison(const Analysis& a) {
    REQUIRE(a.comparisons.rows.size() == 1);
    return a.comparisons.rows[0];
}

}  // namespace

TEST_CASE("analyze takes train speeds from the bench files that match, and says so", "[bench][analysis]") {
    Scratch dir;
    const std::string sweep = dir.path() + "/s";
    // Trial timing says altup-k2 runs at half the baseline's speed.
    const std::vector<BenchTrial> trials = {write_trial(sweep, "baseline", 1000, 90, 110), write_trial(sweep, "altup-k2", 500, 90, 110)};
    const auto plan = plan_bench(trials, {});
    REQUIRE(plan.size() == 2);
    REQUIRE(plan[1].baseline == 0);
    // Figures by hand: 256 tokens a step; altup-k2 per round 15/10, 19/12, 16/11 of the baseline.
    std::vector<BenchFigures> f(2);
    f[0].ms_per_round = {10, 12, 11};
    f[0].ratio_per_round = {1, 1, 1};
    f[1].ms_per_round = {15, 19, 16};
    f[1].ratio_per_round = {15.0 / 10, 19.0 / 12, 16.0 / 11};
    for (auto& x : f) x.tokens_per_step = 256, x.flops_per_step = 2.5e9;
    InterleavedOptions o;
    o.rounds = 3;
    for (std::size_t c = 0; c < 2; ++c) {
        fs::create_directories(fs::path(bench_file_path(plan[c])).parent_path());
        write_file_atomically(bench_file_path(plan[c]), bench_record(plan, c, f[c], o).dump(2));
    }
    CHECK(bench_file_path(plan[1]) == sweep + "/bench/" + plan[1].id + ".json");
    const BenchSpeed back = read_bench_file(bench_file_path(plan[1]));
    CHECK(back.speed_config_id == plan[1].id);
    CHECK(back.baseline_id == plan[0].id);
    CHECK(back.ms_median == 16);
    CHECK(back.train_tokens_per_s == Approx(256 / 0.016));
    CHECK(back.rounds == 3);
    CHECK(back.threads == 1);

    AnalyzeOptions ao;
    const Analysis a = analyze(dir.path(), ao);
    REQUIRE(a.groups.size() == 2);
    for (const Group& g : a.groups) {
        const bool altup = g.label("variant") == "altup-k2";
        CHECK(*g.stat(Metric::train_tokens_per_s).mean == Approx(altup ? 256 / 0.016 : 256 / 0.011));
        CHECK(*g.stat(Metric::ms_per_step).mean == (altup ? 16 : 11));
        CHECK(*g.stat(Metric::flops_per_step).mean == 2.5e9);
    }
    // The per-round ratio, not the ratio of medians (11/16 = 0.6875) nor the trials' 0.5.
    const BaselineComparison& c = only_comparison(a);
    CHECK(*c.train_speedup == Approx(10.0 / 15));          // median of 0.667, 0.632, 0.688
    CHECK(*c.train_slowdown_percent == Approx(50.0));      // median of 1.5, 1.583, 1.455, minus 1
    const std::string md = markdown(a, ao);
    CHECK_THAT(md, Catch::Contains("speed: altup bench (interleaved, 3 rounds, "));
    CHECK_THAT(md, Catch::Contains("for 2 of 2 groups"));
    CHECK_THAT(md, !Catch::Contains("speed: trial timing"));
    CHECK_THAT(md, Catch::Contains("| 0.667 | 50.0 |"));
    CHECK_THAT(md, Catch::Contains("GFLOP/step"));

    // Without its bench file altup-k2 is trial-timed again: mixed sources, marked.
    fs::remove(bench_file_path(plan[1]));
    const Analysis mixed = analyze(dir.path(), ao);
    CHECK(comparison_speed_marker(mixed.speed, only_comparison(mixed)) == kMixedMarker);
    const std::string md2 = markdown(mixed, ao);
    CHECK_THAT(md2, Catch::Contains("for 1 of 2 groups"));
    CHECK_THAT(md2, Catch::Contains("speed: trial timing (each trial timed its own steps"));
    CHECK_THAT(md2, Catch::Contains(std::string(kMixedMarker) + " a speedup between a bench-timed and a trial-timed group"));
}

TEST_CASE("a bench file that does not belong to its name is ignored and said to be", "[bench][analysis]") {
    Scratch dir;
    const std::string sweep = dir.path() + "/s";
    const BenchTrial t = write_trial(sweep, "baseline", 1000, 90, 110);
    const auto plan = plan_bench({t}, {});
    BenchFigures f;
    f.ms_per_round = {10};
    f.ratio_per_round = {1};
    f.tokens_per_step = 256;
    nlohmann::json record = bench_record(plan, 0, f, {});
    record["speed_config_id"] = "0123456789ab";
    fs::create_directories(sweep + "/bench");
    write_file_atomically(bench_file_path(plan[0]), record.dump());
    const Analysis a = analyze(dir.path(), {});
    CHECK(*a.groups[0].stat(Metric::train_tokens_per_s).mean == 1000);
    const std::string md = markdown(a, {});
    CHECK_THAT(md, Catch::Contains("bench file ignored: "));
    CHECK_THAT(md, Catch::Contains("its speed_config_id is 0123456789ab"));
    write_file_atomically(bench_file_path(plan[0]), "{\"speed_config_id\": \"" + plan[0].id + "\"}");
    CHECK_THAT(markdown(analyze(dir.path(), {}), {}), Catch::Contains("missing key 'baseline.speed_config_id'"));
}

TEST_CASE("trial-timed speeds whose steps spread p90/p10 > 1.3 are flagged", "[bench][analysis]") {
    Scratch dir;
    const std::string sweep = dir.path() + "/s";
    write_trial(sweep, "baseline", 1000, 100, 125);  // 1.25: a quiet enough machine
    write_trial(sweep, "altup-k2", 500, 100, 140);   // 1.4: loaded
    const Analysis a = analyze(dir.path(), {});
    const std::string md = markdown(a, {});
    CHECK_THAT(md, Catch::Contains("| 1000 | 100.0 |"));           // baseline: no marker
    CHECK_THAT(md, Catch::Contains("| 500‡ | 100.0‡ |"));          // altup-k2's tok/s and ms/step
    CHECK_THAT(md, Catch::Contains("| 0.500‡ | 100.0‡ |"));        // and the speedup that uses it
    CHECK_THAT(md, Catch::Contains("‡ trial-timed step times spread p90/p10 > 1.3 (up to 1.4) in 1 group(s)"));
    CHECK_THAT(md, Catch::Contains("speed: trial timing"));
}
