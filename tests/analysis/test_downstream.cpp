// Fine-tune (downstream) results: reading the downstream section, its columns,
// statistics over seeds, the method × task table and iso-quality speedups on a
// downstream metric, per task. The result files are synthetic, written here.
#include <catch2/catch.hpp>

#include <optional>

#include <nlohmann/json.hpp>

#include "analysis/analysis.hpp"
#include "analysis/analyze_command.hpp"
#include "analysis/report.hpp"
#include "analysis/report_tables.hpp"
#include "analysis_fixtures.hpp"

using namespace altup;
using namespace altup_test;
using nlohmann::json;

namespace {

json opt(std::optional<double> v) { return v ? json(*v) : json(nullptr); }

// A pretraining result (schema_version 1, no stage field, as old files are).
json pretrain_result(const std::string& variant, const std::string& preset, const std::string& seed, double accuracy,
                     double tokens_per_s, std::optional<std::string> task_label = std::string("none")) {
    json labels = {{"variant", variant}, {"model.preset", preset}, {"seed", seed}};
    if (task_label) labels["finetune.task"] = *task_label;
    return {{"schema_version", 1},
            {"trial_id", variant + "-" + preset + "-" + seed},
            {"name", "ft-" + preset},
            {"sweep", "ft"},
            {"labels", labels},
            {"status", "completed"},
            {"message", ""},
            {"diverged_at_step", nullptr},
            {"config", json::object()},
            {"params", {{"total", 1000}, {"embedding", 600}, {"non_embedding", 400}, {"altup_scalars", 0}}},
            {"quality", {{"eval_loss", 4.0}, {"perplexity", 54.6}, {"token_accuracy", accuracy}, {"curve", json::array()}}},
            {"train", {{"steps_done", 200}, {"wall_time_s", 30.0}}},
            {"speed", {{"train_tokens_per_s", tokens_per_s}, {"ms_per_step", {{"median", 100}}}, {"eval_tokens_per_s", 3000}}}};
}

struct Downstream {
    double accuracy;
    std::optional<double> macro_f1;
    std::optional<double> test_accuracy;  // nullopt: no test section at all
    std::optional<double> word_majority;
};

// A fine-tune result: the pretraining numbers copied, plus stage/pretrain/downstream.
json finetune_result(const std::string& variant, const std::string& preset, const std::string& seed,
                     double pretrain_accuracy, double tokens_per_s, const std::string& task, const Downstream& d,
                     bool task_label = true) {
    json r = pretrain_result(variant, preset, seed, pretrain_accuracy, tokens_per_s,
                             task_label ? std::optional<std::string>(task) : std::nullopt);
    r["stage"] = "finetune";
    r["trial_id"] = r["trial_id"].get<std::string>() + "-" + task;
    r["pretrain"] = {{"trial_id", "0123456789ab"}, {"run_dir", "/abs/path"}, {"checkpoint", "/abs/path/ckpt.safetensors"}};
    json ds = {{"task", task},
               {"classes", task == "pos" ? 12 : 15},
               {"unit", task == "pos" ? "word" : "passage"},
               {"train_params", "all"},
               {"accuracy", d.accuracy},
               {"macro_f1", opt(d.macro_f1)},
               {"loss", 0.3},
               {"majority_accuracy", 0.27},
               {"word_majority_accuracy", opt(d.word_majority)},
               {"curve", json::array({{{"step", 100}, {"time_s", 12.0}, {"loss", 0.5}, {"accuracy", 0.8}, {"macro_f1", 0.7}}})},
               {"steps_done", 300},
               {"wall_time_s", 40.0},
               {"ms_per_step", {{"median", 120.0}, {"p10", 110.0}, {"p90", 140.0}}},
               {"tokens_per_s", 17000.0},
               {"examples", {{"train", 4000}, {"valid", 900}, {"test", 950}}}};
    if (d.test_accuracy)
        ds["test"] = {{"accuracy", *d.test_accuracy}, {"macro_f1", opt(d.macro_f1)}, {"loss", 0.33}, {"count", 12345}};
    r["downstream"] = ds;
    return r;
}

void write_result(const std::string& dir, const std::string& id, const json& result) {
    write_text(dir + "/" + id + "/result.json", result.dump(2));
}

// Pretraining: baseline tiny (30%, 1000 tok/s), small (40%, 400), AltUp tiny (36%, 700).
// pos: baseline tiny 80/84%, small 90/90%, AltUp tiny 86/88% (two seeds each).
// genre: baseline tiny 50%, small 60%, AltUp tiny 70% (one seed, macro-F1 null, no test split).
void write_mixed_sweep(const std::string& dir) {
    write_result(dir, "p-bt1", pretrain_result("baseline", "tiny", "1", 0.30, 1000));
    write_result(dir, "p-bs1", pretrain_result("baseline", "small", "1", 0.40, 400));
    write_result(dir, "p-at1", pretrain_result("altup-k2", "tiny", "1", 0.36, 700));
    write_result(dir, "pos-bt1", finetune_result("baseline", "tiny", "1", 0.30, 1000, "pos", {0.80, 0.70, 0.79, 0.86}));
    write_result(dir, "pos-bt2", finetune_result("baseline", "tiny", "2", 0.30, 1000, "pos", {0.84, 0.74, 0.83, 0.86}));
    write_result(dir, "pos-bs1", finetune_result("baseline", "small", "1", 0.40, 400, "pos", {0.90, 0.80, 0.89, 0.86}));
    write_result(dir, "pos-bs2", finetune_result("baseline", "small", "2", 0.40, 400, "pos", {0.90, 0.80, 0.89, 0.86}));
    write_result(dir, "pos-at1", finetune_result("altup-k2", "tiny", "1", 0.36, 700, "pos", {0.86, 0.76, 0.85, 0.86}));
    write_result(dir, "pos-at2", finetune_result("altup-k2", "tiny", "2", 0.36, 700, "pos", {0.88, 0.78, 0.87, 0.86}));
    write_result(dir, "genre-bt1", finetune_result("baseline", "tiny", "1", 0.30, 1000, "genre", {0.50, {}, {}, {}}));
    write_result(dir, "genre-bs1", finetune_result("baseline", "small", "1", 0.40, 400, "genre", {0.60, {}, {}, {}}));
    write_result(dir, "genre-at1", finetune_result("altup-k2", "tiny", "1", 0.36, 700, "genre", {0.70, {}, {}, {}}));
}

const Group& find_group(const Analysis& a, const std::string& variant, const std::string& task, const std::string& preset) {
    for (const Group& g : a.groups)
        if (g.label("variant") == variant && g.label(kTaskLabel) == task && g.label("model.preset") == preset) return g;
    throw std::runtime_error("no group " + variant + "/" + task + "/" + preset);
}

const IsoQualityRow& iso_for_task(const Analysis& a, const std::string& task) {
    for (const IsoQualityRow& r : a.iso)
        if (a.groups[r.group].label(kTaskLabel) == task) return r;
    throw std::runtime_error("no iso-quality row for " + task);
}

std::string markdown(const std::string& dir, const AnalyzeOptions& o, const std::string& table = "") {
    ReportRequest r;
    r.table = table;
    return render_report(analyze(dir, o), o, r).text;
}

}  // namespace

TEST_CASE("downstream: the section's numbers are read, null and absent ones are nullopt", "[analysis]") {
    ScratchDir dir;
    write_mixed_sweep(dir.path());
    const LoadedResults loaded = load_results(dir.path());
    REQUIRE(loaded.skipped.empty());
    REQUIRE(loaded.trials.size() == 12);
    auto trial = [&](const std::string& id) -> const TrialResult& {
        for (const TrialResult& t : loaded.trials)
            if (t.path.find("/" + id + "/") != std::string::npos) return t;
        throw std::runtime_error("no trial " + id);
    };
    const TrialResult& pre = trial("p-bt1");  // no stage field: a pretraining trial
    CHECK(pre.stage == "pretrain");
    CHECK_FALSE(pre.has_downstream);
    CHECK_FALSE(pre.values[metric_index(Metric::downstream_accuracy)].has_value());
    const TrialResult& pos = trial("pos-bt2");
    CHECK(pos.stage == "finetune");
    CHECK(pos.has_downstream);
    CHECK(pos.downstream_task == "pos");
    const MetricValues& v = pos.values;
    CHECK(*v[metric_index(Metric::downstream_accuracy)] == Approx(0.84));
    CHECK(*v[metric_index(Metric::downstream_macro_f1)] == Approx(0.74));
    CHECK(*v[metric_index(Metric::downstream_test_accuracy)] == Approx(0.83));
    CHECK(*v[metric_index(Metric::downstream_test_macro_f1)] == Approx(0.74));
    CHECK(*v[metric_index(Metric::downstream_majority_accuracy)] == Approx(0.27));
    CHECK(*v[metric_index(Metric::downstream_word_majority_accuracy)] == Approx(0.86));
    CHECK(*v[metric_index(Metric::downstream_ms_per_step)] == Approx(120));  // downstream.ms_per_step.median
    CHECK(*v[metric_index(Metric::downstream_wall_time_s)] == Approx(40));
    CHECK(*v[metric_index(Metric::token_accuracy)] == Approx(0.30));  // the pretrained model's, copied
    const MetricValues& g = trial("genre-bt1").values;
    CHECK(*g[metric_index(Metric::downstream_accuracy)] == Approx(0.50));
    CHECK_FALSE(g[metric_index(Metric::downstream_macro_f1)].has_value());        // null
    CHECK_FALSE(g[metric_index(Metric::downstream_test_accuracy)].has_value());   // no test section
    CHECK_FALSE(g[metric_index(Metric::downstream_word_majority_accuracy)].has_value());
}

TEST_CASE("downstream: wrong types are skipped with the field named, a null section is a pretraining result", "[analysis]") {
    ScratchDir dir;
    json bad_number = finetune_result("baseline", "tiny", "1", 0.3, 1000, "pos", {0.8, 0.7, 0.79, 0.86});
    bad_number["downstream"]["accuracy"] = "high";
    write_result(dir.path(), "a-bad-number", bad_number);
    json bad_test = finetune_result("baseline", "tiny", "1", 0.3, 1000, "pos", {0.8, 0.7, 0.79, 0.86});
    bad_test["downstream"]["test"] = 5;
    write_result(dir.path(), "b-bad-test", bad_test);
    json bad_section = pretrain_result("baseline", "tiny", "1", 0.3, 1000);
    bad_section["downstream"] = 3;
    write_result(dir.path(), "c-bad-section", bad_section);
    json bad_stage = pretrain_result("baseline", "tiny", "1", 0.3, 1000);
    bad_stage["stage"] = "eval";
    write_result(dir.path(), "d-bad-stage", bad_stage);
    json null_section = pretrain_result("baseline", "tiny", "1", 0.3, 1000);
    null_section["stage"] = "pretrain";
    null_section["downstream"] = nullptr;
    write_result(dir.path(), "e-null-section", null_section);
    const LoadedResults loaded = load_results(dir.path());
    REQUIRE(loaded.skipped.size() == 4);
    CHECK(loaded.skipped[0].reason == "field 'downstream.accuracy': expected a number or null, got string");
    CHECK(loaded.skipped[1].reason == "field 'downstream.test': expected an object or null, got number");
    CHECK(loaded.skipped[2].reason == "field 'downstream': expected an object or null, got number");
    CHECK(loaded.skipped[3].reason == "field 'stage': expected \"pretrain\" or \"finetune\", got \"eval\"");
    REQUIRE(loaded.trials.size() == 1);
    CHECK_FALSE(loaded.trials[0].has_downstream);
}

TEST_CASE("downstream: mean ± std over seeds, per task", "[analysis]") {
    ScratchDir dir;
    write_mixed_sweep(dir.path());
    const Analysis a = analyze(dir.path(), AnalyzeOptions{});
    CHECK(a.has_downstream);
    CHECK(a.groups.size() == 9);  // 3 pretraining + 3 pos + 3 genre
    // pos baseline tiny: (0.80, 0.84): mean 0.82, std sqrt((0.02² + 0.02²) / 1) = 0.0282843.
    const Group& pos = find_group(a, "baseline", "pos", "tiny");
    CHECK(pos.trials.size() == 2);
    CHECK(*pos.stat(Metric::downstream_accuracy).mean == Approx(0.82));
    CHECK(*pos.stat(Metric::downstream_accuracy).stddev == Approx(0.0282843).epsilon(1e-5));
    // test accuracy (0.79, 0.83): mean 0.81; macro-F1 (0.70, 0.74): mean 0.72.
    CHECK(*pos.stat(Metric::downstream_test_accuracy).mean == Approx(0.81));
    CHECK(*pos.stat(Metric::downstream_macro_f1).mean == Approx(0.72));
    // genre: one seed, macro-F1 null: no value, not 0.
    const Group& genre = find_group(a, "baseline", "genre", "tiny");
    CHECK(genre.stat(Metric::downstream_accuracy).n == 1);
    CHECK(genre.stat(Metric::downstream_macro_f1).n == 0);
    CHECK_FALSE(genre.stat(Metric::downstream_macro_f1).mean.has_value());
    // Pretraining groups have no downstream numbers.
    CHECK(find_group(a, "baseline", "none", "tiny").stat(Metric::downstream_accuracy).n == 0);
}

TEST_CASE("downstream: columns appear only when a result has a downstream section", "[analysis]") {
    // The pretraining-only fixture sweep: no downstream column, table or JSON key.
    const std::string paper = markdown(kPaperRuns, AnalyzeOptions{});
    CHECK_THAT(paper, !Catch::Contains("downstream", Catch::CaseSensitive::No));
    CHECK_THAT(paper, !Catch::Contains("fine-tune"));
    ReportRequest as_json;
    as_json.format = ReportFormat::json;
    const auto pj = json::parse(render_report(analyze(kPaperRuns, {}), {}, as_json).text);
    CHECK_FALSE(pj.contains("downstream"));
    CHECK_FALSE(pj["groups"][0]["metrics"].contains("downstream_accuracy"));
    CHECK(pj["iso_quality"]["rows"][0].contains("token_accuracy"));

    ScratchDir dir;
    write_mixed_sweep(dir.path());
    const std::string md = markdown(dir.path(), AnalyzeOptions{}, "groups");
    CHECK_THAT(md, Catch::Contains("| variant | finetune.task | model.preset | n | eval loss | perplexity | accuracy (%) | "
                                   "downstream acc (%) | downstream macro-F1 (%) | test acc (%) | test macro-F1 (%) | "
                                   "majority baseline (%) | per-word majority (%) | fine-tune ms/step | fine-tune time (s) | "
                                   "train tok/s |"));
    // Fine-tune rows: percent, mean ± std over the two seeds (82.00 ± 2.83 by hand above).
    CHECK_THAT(md, Catch::Contains("| baseline | pos | tiny | 2 | 4.000 ± 0.000 | 54.60 ± 0.00 | 30.00 ± 0.00 | 82.00 ± 2.83 | "
                                   "72.00 ± 2.83 | 81.00 ± 2.83 | 72.00 ± 2.83 | 27.00 ± 0.00 | 86.00 ± 0.00 | 120.0 ± 0.0 | "
                                   "40.0 ± 0.0 |"));
    // genre: null macro-F1 and no test section are "—".
    CHECK_THAT(md, Catch::Contains("| baseline | genre | tiny | 1 | 4.000 | 54.60 | 30.00 | 50.00 | — | — | — | 27.00 | — | 120.0 | 40.0 |"));
    // Pretraining rows: "—" in every downstream column.
    CHECK_THAT(md, Catch::Contains("| baseline | none | tiny | 1 | 4.000 | 54.60 | 30.00 | — | — | — | — | — | — | — | — | 1000 |"));
    const std::string csv = render_report(analyze(dir.path(), {}), {}, ReportRequest{ReportFormat::csv, "groups", ""}).text;
    CHECK_THAT(csv, Catch::Contains(",token_accuracy_pct_mean,token_accuracy_pct_std,token_accuracy_pct_n,"
                                    "downstream_accuracy_pct_mean,downstream_accuracy_pct_std,downstream_accuracy_pct_n,"));
    const auto j = json::parse(render_report(analyze(dir.path(), {}), {}, as_json).text);
    CHECK(j["groups"][0]["metrics"].contains("downstream_test_macro_f1"));
    CHECK(j["downstream"]["metric"] == "downstream_accuracy");
}

TEST_CASE("downstream: method × task table, and --pivot finetune.task --metric downstream_accuracy", "[analysis]") {
    ScratchDir dir;
    write_mixed_sweep(dir.path());
    const Analysis a = analyze(dir.path(), AnalyzeOptions{});
    REQUIRE(a.downstream_pivot);
    CHECK(a.downstream_pivot->column_values == std::vector<std::string>{"genre", "pos"});  // no "none" column
    CHECK(a.downstream_pivot->row_keys == std::vector<std::string>{"variant", "model.preset"});
    const std::string md = markdown(dir.path(), AnalyzeOptions{}, "downstream");
    CHECK_THAT(md, Catch::Contains("## Downstream acc (%) by finetune.task (mean ± std over seeds)"));
    CHECK_THAT(md, Catch::Contains("| variant | model.preset | genre | pos |"));
    CHECK_THAT(md, Catch::Contains("| baseline | tiny | 50.00 | 82.00 ± 2.83 |"));
    CHECK_THAT(md, Catch::Contains("| altup-k2 | tiny | 70.00 | 87.00 ± 1.41 |"));

    AnalyzeOptions o;
    o.pivot_key = kTaskLabel;
    o.metric = Metric::downstream_macro_f1;
    const Analysis p = analyze(dir.path(), o);
    REQUIRE(p.pivot);
    CHECK(p.pivot->column_values == std::vector<std::string>{"pos"});  // genre's macro-F1 is null: no column
    CHECK(p.size_key == "model.preset");  // tasks are never the iso-quality size axis
    CHECK_FALSE(p.downstream_pivot);      // it would be the same table
    const std::string pmd = markdown(dir.path(), o, "pivot");
    CHECK_THAT(pmd, Catch::Contains("## Downstream macro-F1 (%) by finetune.task"));
    CHECK_THAT(pmd, Catch::Contains("| altup-k2 | tiny | 77.00 ± 1.41 |"));
}

TEST_CASE("downstream: iso-quality speedup on downstream accuracy, within each task", "[analysis]") {
    ScratchDir dir;
    write_mixed_sweep(dir.path());
    AnalyzeOptions o;
    o.metric = Metric::downstream_accuracy;
    const Analysis a = analyze(dir.path(), o);
    REQUIRE(a.iso.size() == 2);  // AltUp on pos and on genre; pretraining groups have no downstream accuracy
    // pos family: (0.82, 1000 tok/s) and (0.90, 400). AltUp: 0.87 at 700 tok/s.
    // s_b(0.87) = 1000 + (0.05 / 0.08) · (400 - 1000) = 625, speedup 700 / 625 = 1.12.
    const IsoQualityRow& pos = iso_for_task(a, "pos");
    REQUIRE(pos.baseline_family.size() == 2);
    for (std::size_t j : pos.baseline_family) CHECK(a.groups[j].label(kTaskLabel) == "pos");
    CHECK(pos.accuracy == Approx(0.87));
    CHECK(pos.baseline.status == IsoStatus::interpolated);
    CHECK(*pos.baseline.speed == Approx(625));
    CHECK(*pos.speedup == Approx(1.12));
    CHECK(*pos.speedup_percent == Approx(12.0));
    // genre: 70% is above the genre family's 50–60%. Read against the pos family (or
    // both tasks mixed, 50–90%) it would have been interpolated: it must not be.
    const IsoQualityRow& genre = iso_for_task(a, "genre");
    REQUIRE(genre.baseline_family.size() == 2);
    for (std::size_t j : genre.baseline_family) CHECK(a.groups[j].label(kTaskLabel) == "genre");
    CHECK(genre.baseline.status == IsoStatus::above_range);
    CHECK(genre.baseline.range_min == Approx(0.50));
    CHECK(genre.baseline.range_max == Approx(0.60));
    CHECK_FALSE(genre.speedup.has_value());

    const std::string md = markdown(dir.path(), o, "iso_quality");
    CHECK_THAT(md, Catch::Contains("at equal downstream accuracy"));
    CHECK_THAT(md, Catch::Contains("| downstream acc (%) | train tok/s | family tok/s at same downstream accuracy |"));
    CHECK_THAT(md, Catch::Contains("| altup-k2 | pos | tiny | 87.00 | 700 | 625 | 1.120 | 12.0 | interpolated |"));
    CHECK_THAT(md, Catch::Contains("above the family's range (family downstream accuracy 50.00–60.00%): not extrapolated"));
    CHECK_THAT(md, Catch::Contains("altup-k2: up to +12.0% iso-quality training speed"));

    // The default metric is still the pretraining token accuracy: pretraining family
    // (0.30, 1000), (0.40, 400); AltUp 0.36: 1000 + 0.6 · (400 - 1000) = 640.
    const Analysis d = analyze(dir.path(), AnalyzeOptions{});
    const IsoQualityRow& pre = iso_for_task(d, "none");
    CHECK(*pre.speedup == Approx(700.0 / 640.0));
}

TEST_CASE("downstream: fine-tune trials without a task label are still grouped by task", "[analysis]") {
    ScratchDir dir;
    write_result(dir.path(), "a", finetune_result("baseline", "tiny", "1", 0.3, 1000, "pos", {0.8, 0.7, 0.79, 0.86}, false));
    write_result(dir.path(), "b", finetune_result("baseline", "tiny", "2", 0.3, 1000, "genre4", {0.6, {}, {}, {}}, false));
    write_result(dir.path(), "c", pretrain_result("baseline", "tiny", "1", 0.3, 1000, std::nullopt));
    const Analysis a = analyze(dir.path(), AnalyzeOptions{});
    REQUIRE(a.groups.size() == 3);
    CHECK(find_group(a, "baseline", "pos", "tiny").trials.size() == 1);
    CHECK(find_group(a, "baseline", "genre4", "tiny").trials.size() == 1);
    CHECK(find_group(a, "baseline", "", "tiny").trials.size() == 1);  // the pretraining trial: no label added
}

TEST_CASE("downstream: --metric on the command line", "[analysis]") {
    ScratchDir dir;
    write_mixed_sweep(dir.path() + "/runs");
    const std::string out = dir.path() + "/iso.csv";
    CHECK(run_command({dir.path() + "/runs", "--metric", "downstream_accuracy", "--format", "csv", "--table",
                       "iso_quality", "-o", out, "--quiet"}) == 0);
    CHECK(slurp(out).rfind("variant,finetune.task,model.preset,downstream_accuracy_pct,train_tokens_per_s,", 0) == 0);
    const std::string md = dir.path() + "/downstream.md";  // the format follows the extension
    CHECK(run_command({dir.path() + "/runs", "--metric=downstream_test_accuracy", "--table", "downstream", "-o", md,
                       "--quiet"}) == 0);
    CHECK_THAT(slurp(md), Catch::Contains("## Test acc (%) by finetune.task"));
    CHECK(run_command({dir.path() + "/runs", "--metric", "train_tokens_per_s"}) == 2);  // not a quality
    CHECK(run_command({dir.path() + "/runs", "--metric", "bogus"}) == 2);
    CHECK(run_command({dir.path() + "/runs", "--metric"}) == 2);
}
