// Reading result files: good ones become trials, every unusable one is reported with its reason.
#include <catch2/catch.hpp>

#include <filesystem>
#include <map>

#include "analysis/analysis_error.hpp"
#include "analysis/result_loader.hpp"
#include "analysis_fixtures.hpp"

using namespace altup;
using namespace altup_test;
namespace fs = std::filesystem;

namespace {
std::map<std::string, std::string> reasons_by_dir(const LoadedResults& loaded) {
    std::map<std::string, std::string> out;
    for (const SkippedResult& s : loaded.skipped) out[fs::path(s.path).parent_path().filename().string()] = s.reason;
    return out;
}
const TrialResult& trial(const LoadedResults& loaded, const std::string& dir) {
    for (const TrialResult& t : loaded.trials)
        if (fs::path(t.path).parent_path().filename() == dir) return t;
    throw std::runtime_error("no trial " + dir);
}
}  // namespace

TEST_CASE("completed results load, broken, unfinished, failed and diverged ones are skipped with a reason", "[analysis]") {
    const LoadedResults loaded = load_results(kPaperRuns);
    CHECK(loaded.trials.size() == 11);  // 5 baseline + 6 altup-k2 result files
    REQUIRE(loaded.skipped.size() == 6);
    CHECK(loaded.running == 1);
    const auto why = reasons_by_dir(loaded);
    CHECK(why.at("x-bad-json").rfind("not valid JSON (parse error at line 3", 0) == 0);
    CHECK(why.at("x-missing-field") == "missing field 'quality'");
    CHECK(why.at("x-wrong-type") == "field 'quality.token_accuracy': expected a number or null, got string");
    CHECK(why.at("x-running") == "unfinished (status running)");
    CHECK(why.at("x-failed") == "failed: out of memory");
    CHECK(why.at("x-diverged") == "diverged at step 300: non-finite training loss at step 300");
}

TEST_CASE("a result's numbers are read from their documented places", "[analysis]") {
    const LoadedResults loaded = load_results(kPaperRuns);
    const TrialResult& t = trial(loaded, "bt2");
    CHECK(t.labels.at("variant") == "baseline");
    CHECK(t.labels.at("seed") == "2");
    CHECK(t.sweep == "paper");
    CHECK(*t.values[metric_index(Metric::eval_loss)] == Approx(4.2));
    CHECK(*t.values[metric_index(Metric::token_accuracy)] == Approx(0.32));
    CHECK(*t.values[metric_index(Metric::ms_per_step)] == Approx(80));  // speed.ms_per_step.median
    CHECK(*t.values[metric_index(Metric::params_non_embedding)] == Approx(400));
    REQUIRE(t.curve.size() == 2);
    CHECK(t.curve[1].step == 200);
    CHECK(*t.curve[1].time_s == Approx(24));
}

TEST_CASE("a curve missing from result.json is read from metrics.jsonl, ignoring a torn last line", "[analysis]") {
    const LoadedResults loaded = load_results(kPaperRuns);
    const TrialResult& t = trial(loaded, "at3");
    REQUIRE(t.curve.size() == 2);  // train lines and the torn "step":3 line are not eval points
    CHECK(t.curve[0].step == 100);
    CHECK(*t.curve[0].loss == Approx(4.9));
    CHECK(*t.curve[1].time_s == Approx(19.5));
}

TEST_CASE("null numbers are absent, not zero, params may be null as a whole", "[analysis]") {
    ScratchDir dir;
    write_text(dir.path() + "/t/result.json", R"({"schema_version": 1, "status": "completed", "trial_id": "t", "name": "n",
        "sweep": null, "labels": {}, "config": {}, "train": {"steps_done": 10}, "params": null, "quality": {"eval_loss": 3.0, "perplexity": null, "token_accuracy": 0.5},
        "speed": {"train_tokens_per_s": null, "ms_per_step": {"median": null}, "eval_tokens_per_s": 10}})");
    const LoadedResults loaded = load_results(dir.path());
    REQUIRE(loaded.trials.size() == 1);
    const MetricValues& v = loaded.trials[0].values;
    CHECK_FALSE(v[metric_index(Metric::perplexity)].has_value());
    CHECK_FALSE(v[metric_index(Metric::train_tokens_per_s)].has_value());
    CHECK_FALSE(v[metric_index(Metric::params_total)].has_value());
    CHECK(*v[metric_index(Metric::eval_tokens_per_s)] == 10);
}

TEST_CASE("a newer schema version is skipped with the reason", "[analysis]") {
    ScratchDir dir;
    write_text(dir.path() + "/t/result.json", R"({"schema_version": 2, "status": "completed"})");
    const LoadedResults loaded = load_results(dir.path());
    REQUIRE(loaded.skipped.size() == 1);
    CHECK(loaded.skipped[0].reason == "unsupported schema_version 2 (this altup reads version 1)");
}

TEST_CASE("a runs directory that does not exist is a user-facing error", "[analysis]") {
    CHECK_THROWS_AS(load_results("/nonexistent/runs"), AnalysisError);
    CHECK_THROWS_WITH(load_results("/nonexistent/runs"), Catch::Contains("is not a directory"));
}
