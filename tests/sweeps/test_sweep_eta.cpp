// The runner's live view: a running trial's progress read from its
// metrics.jsonl, the ETA from analytic FLOPs and measured rates (worked by
// hand), and the progress lines a sweep prints while its trials run.
#include <catch2/catch.hpp>

#include <cstdio>
#include <fstream>
#include <regex>

#include "sweep_test_support.hpp"
#include "sweeps/sweep_eta.hpp"
#include "sweeps/sweep_report.hpp"
#include "sweeps/sweep_runner.hpp"
#include "sweeps/trial_progress.hpp"

using namespace altup;
using namespace sweep_test;

TEST_CASE("a running trial's progress is its last complete training line", "[runner][eta]") {
    TempDir dir;
    const std::string file = dir / "metrics.jsonl";
    CHECK_FALSE(read_trial_progress(dir.path()));  // no file yet
    {
        std::ofstream out(file);
        out << R"({"kind":"train","step":10,"loss":7.5,"time_s":1.0})" << "\n"
            << R"({"kind":"train","step":20,"loss":7.25,"time_s":2.5})" << "\n"
            << R"({"kind":"eval","step":20,"loss":7.0,"time_s":3.0})" << "\n"
            << R"({"kind":"train","step":30,"loss":6.)";  // being written: no newline yet
    }
    const auto p = read_trial_progress(dir.path());
    REQUIRE(p);
    CHECK(p->step == 20);
    CHECK(p->loss == 7.25);
    CHECK(p->time_s == 2.5);
    {
        std::ofstream out(file, std::ios::app);
        out << "9,\"time_s\":4.0}\nnot json\n";
    }
    const auto q = read_trial_progress(dir.path());
    REQUIRE(q);
    CHECK(q->step == 30);
    CHECK(q->loss == Approx(6.9));
    {
        std::ofstream out(file, std::ios::app);  // a fine-tune trial's step lines count too
        out << R"({"kind":"finetune_train","step":5,"loss":1.25,"time_s":0.5})" << "\n";
    }
    CHECK(read_trial_progress(dir.path())->step == 5);
}

TEST_CASE("a trial's training FLOPs are 3 x forward FLOPs per token x tokens, counted by hand", "[runner][eta]") {
    Config c;
    c.model.vocab = 100;
    c.model.d_model = 16;
    c.model.heads = 2;
    c.model.d_ff = 64;
    c.model.layers = 2;
    c.model.seq_len = 8;
    c.train.batch = 4;
    c.train.steps = 10;
    // Per layer and token: 2·4d² (q, k, v, o) + 2·2·T·d (scores, weighted values) + 2·2·d·d_ff (FFN); the head 2·V·d.
    const double per_token = 2 * (2 * 4 * 16.0 * 16 + 2 * 2 * 8.0 * 16 + 2 * 2 * 16.0 * 64) + 2 * 100.0 * 16;
    CHECK(trial_training_flops(c) == Approx(3 * per_token * 4 * 8 * 10));
    c.finetune.task = FinetuneTask::genre;  // a fine-tune trial: its own steps and batch
    c.finetune.steps = 5;
    c.finetune.batch = 2;
    CHECK(trial_training_flops(c) == Approx(3 * per_token * 2 * 8 * 5));
}

TEST_CASE("the ETA: a started trial by its own rate, a pending one by its size, else by the machine's FLOP rate",
          "[runner][eta]") {
    // Trials 0 and 1 of one size (100 GFLOP), 2 twice as big, 3 with unknown work.
    SweepEta eta({100e9, 100e9, 200e9, 0});
    CHECK_FALSE(eta.remaining(0));  // nothing seen yet
    CHECK_FALSE(eta.remaining({0, 1}, 1));
    eta.observe(0, 0.25, 30.0);     // a quarter done in 30 s
    CHECK(*eta.remaining(0) == Approx(90.0));   // its own rate: 30 s a quarter
    CHECK(*eta.remaining(1) == Approx(120.0));  // its size, from trial 0: 30 / 0.25
    // Trial 2: 200 GFLOP at the machine's rate, 25 GFLOP in 30 s.
    CHECK(*eta.remaining(2) == Approx(200e9 / (25e9 / 30.0)));
    CHECK_FALSE(eta.remaining(3));
    CHECK(*eta.remaining({0, 1, 2}, 2) == Approx((90.0 + 120.0 + 240.0) / 2));
    CHECK_FALSE(eta.remaining({0, 3}, 1));      // one unknown trial: the sum is unknown
    eta.observe(0, 1.0, 100.0);                 // trial 0 finished: its whole run took 100 s
    CHECK(*eta.remaining(0) == 0.0);
    CHECK(*eta.remaining(1) == Approx(100.0));
    CHECK(*eta.remaining(2) == Approx(200.0));  // 100 GFLOP in 100 s
    eta.observe(1, 0.0, 5.0);                   // no step yet says nothing
    CHECK(*eta.remaining(1) == Approx(100.0));
}

TEST_CASE("while trials run, the sweep prints each one's step, loss and ETA, and an ETA for the whole sweep",
          "[runner][eta]") {
    TempDir dir;
    FakeTrainerEnv env(dir, 10, "0.05");
    const auto sweep = expand_text(
        "name: fake\n"
        "base: {model: {preset: tiny}, train: {steps: 10}}\n"
        "variants: {baseline: {}, altup-k2: {model.altup.k: 2}}\n"
        "seeds: 2\n");
    RunnerOptions options = fake_options(dir, 1);
    options.progress_every_s = 0.1;
    const std::string log = dir / "progress.txt";
    options.progress = std::fopen(log.c_str(), "w");
    REQUIRE(options.progress);
    const int code = run_sweep(sweep, options);
    std::fclose(options.progress);
    REQUIRE(code == 0);
    const std::string text = read_text(log);
    // The fake trainer's clock: one second a step, so a trial at step s of 10 has 10 - s seconds left.
    std::smatch m;
    const std::regex running("running +([0-9a-f]{12}) step ([0-9]+)/10  loss ([0-9]+)\\.5000  ETA ([0-9]+)s");
    REQUIRE(std::regex_search(text, m, running));
    CHECK(std::stoi(m[3]) == std::stoi(m[2]));
    CHECK(std::stoi(m[4]) == 10 - std::stoi(m[2]));
    // The sweep's ETA is known before the first trial ends.
    const std::string before_first_end = text.substr(0, text.find("completed "));
    CHECK(std::regex_search(before_first_end, std::regex("ETA [0-9]+s")));
    CHECK_THAT(text, Catch::Contains("(new)"));
    for (const auto& t : sweep.trials) {
        const std::string train_log = read_text(dir / ("runs/fake/" + t.id + "/train.log"));
        CHECK_THAT(train_log, Catch::Contains("--progress-every 60"));
    }
}

TEST_CASE("a dry run with --only: a size with no completed trial is timed by the others the folder measured",
          "[runner][eta]") {
    TempDir dir;
    const auto whole = expand_text("name: sizes\nbase: {model: {preset: tiny}, train: {steps: 10}}\n"
                                   "zip: {model.d_model: [64, 128], model.heads: [2, 4]}\n");
    REQUIRE(whole.trials.size() == 2);
    const std::vector<double> work = sweep_training_flops(whole);
    // The d64 trial completed here in 40 s.
    const Trial& small = whole.trials[0];
    nlohmann::json r = completed_result(small.id, "sizes", small.labels);
    r["train"]["wall_time_s"] = 40.0;
    write_text(dir / ("sweeps/" + small.id + "/result.json"), r.dump());
    SweepExpansion selected = whole;
    select_trials(selected, {{"model.d_model", "128"}});
    REQUIRE(selected.trials.size() == 1);
    // Its FLOPs at the FLOP rate the d64 trial measured: work[1] / (work[0] / 40 s).
    const std::string expected = format_duration(work[1] / (work[0] / 40.0));
    CHECK_THAT(compute_estimate(selected, dir / "sweeps", 1, &whole),
               Catch::Contains("1 trial to run, 0 completed") && Catch::Contains("about " + expected + " each"));
    // Without the whole sweep it has nothing to go by.
    CHECK_THAT(compute_estimate(selected, dir / "sweeps", 1), Catch::Contains("time unknown"));
}
