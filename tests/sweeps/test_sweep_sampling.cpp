// Random search (`sample:`): a fixed, seeded list of points, crossed with the
// other axes like a zip group; draws follow the documented rule.
#include <catch2/catch.hpp>

#include <cmath>
#include <map>
#include <random>
#include <set>

#include <fmt/format.h>

#include "sweep_test_support.hpp"

using namespace altup;
using sweep_test::expand_text;

namespace {

const std::string kBase = "base: {model: {preset: tiny}, train: {steps: 10, lr: 0.001}, seed: 1}\n";

std::string error_of(const std::string& text) {
    try {
        expand_text(text);
    } catch (const std::exception& e) {
        return e.what();
    }
    return "";
}

}  // namespace

TEST_CASE("sample: N points of the given distributions, seeded, the same on every expansion", "[expansion][sample]") {
    const std::string text = "name: r\n" + kBase +
                             "sample:\n  train.lr: {log_uniform: [1.0e-4, 1.0e-2]}\n  train.warmup: {uniform: [0, 9], integer: true}\n"
                             "  model.norm: {choice: [layernorm, rmsnorm]}\nsamples: 200\nsample_seed: 7\n";
    const auto e = expand_text(text);
    REQUIRE(e.trials.size() == 200);
    std::vector<std::string> first_ids;
    for (const auto& t : e.trials) first_ids.push_back(t.id);
    std::vector<std::string> again_ids;
    for (const auto& t : expand_text(text).trials) again_ids.push_back(t.id);
    CHECK(first_ids == again_ids);

    // The rule of docs/sweeps.md, computed here: u = (mt19937_64(seed)() >> 11) / 2^53 per key in order,
    // a float kept to 4 significant digits.
    std::mt19937_64 rng(7);
    const double u = static_cast<double>(rng() >> 11) / 9007199254740992.0;
    const double lr = std::exp(std::log(1e-4) + u * (std::log(1e-2) - std::log(1e-4)));
    CHECK(e.trials[0].labels.at("train.lr") == fmt::format("{:.4g}", lr));
    CHECK(e.trials[0].config.train.lr == Approx(std::stod(fmt::format("{:.4g}", lr))).epsilon(1e-12));
    const double u2 = static_cast<double>(rng() >> 11) / 9007199254740992.0;
    CHECK(e.trials[0].config.train.warmup == static_cast<int>(std::floor(u2 * 10)));

    // Distribution checks over the 200 points (a fixed seed: deterministic, and far inside these bounds).
    int below_geometric_middle = 0;
    std::map<int, int> warmups;
    std::map<std::string, int> norms;
    for (const auto& t : e.trials) {
        CHECK(t.config.train.lr >= 1e-4);
        CHECK(t.config.train.lr <= 1e-2);
        below_geometric_middle += t.config.train.lr < 1e-3;
        ++warmups[t.config.train.warmup];
        ++norms[t.labels.at("model.norm")];
    }
    CHECK(below_geometric_middle > 70);  // binomial(200, 1/2): mean 100, sd 7
    CHECK(below_geometric_middle < 130);
    CHECK(warmups.size() == 10);  // 0..9 inclusive, each about 20 times
    CHECK(warmups.begin()->first == 0);
    CHECK(warmups.rbegin()->first == 9);
    CHECK(norms.size() == 2);

    // Another seed, other points.
    std::string reseeded = text;
    reseeded.replace(reseeded.find("sample_seed: 7"), 14, "sample_seed: 8");
    CHECK(expand_text(reseeded).trials[0].id != e.trials[0].id);
}

TEST_CASE("sampled points are one axis: crossed with variants and seeds, matched by exclude and labels", "[expansion][sample]") {
    const auto e = expand_text("name: r\n" + kBase +
                               "variants: {baseline: {}, altup-k2: {model.altup.k: 2}}\n"
                               "sample: {train.lr: {log_uniform: [1.0e-4, 1.0e-2]}}\nsamples: 3\nseeds: 2\n");
    REQUIRE(e.trials.size() == 2 * 3 * 2);
    std::set<std::string> lrs;
    for (const auto& t : e.trials) lrs.insert(t.labels.at("train.lr"));
    CHECK(lrs.size() == 3);
    // Each variant gets the same three points.
    CHECK(e.trials[0].labels.at("train.lr") == e.trials[6].labels.at("train.lr"));
    const std::string lr = e.trials[0].labels.at("train.lr");
    const auto excluded = expand_text("name: r\n" + kBase + "sample: {train.lr: {log_uniform: [1.0e-4, 1.0e-2]}}\nsamples: 3\n"
                                      "exclude:\n  - {train.lr: " + lr + "}\n");
    CHECK(excluded.trials.size() == 2);
    CHECK(excluded.warnings.empty());
}

TEST_CASE("sample mistakes name the file, line and key", "[expansion][sample]") {
    const std::string head = "name: r\n" + kBase;
    CHECK_THAT(error_of(head + "sample: {train.lr: {log_uniform: [0, 1.0e-2]}}\nsamples: 3\n"),
               Catch::Contains("sweep.yaml:3:") && Catch::Contains("key 'train.lr': log_uniform: both bounds must be above 0"));
    CHECK_THAT(error_of(head + "sample: {train.lr: {uniform: [0.1, 0.01]}}\nsamples: 3\n"), Catch::Contains("low must be below high"));
    CHECK_THAT(error_of(head + "sample: {train.lr: {normal: [0, 1]}}\nsamples: 3\n"), Catch::Contains("unknown 'normal'"));
    CHECK_THAT(error_of(head + "sample: {train.lr: 0.1}\nsamples: 3\n"), Catch::Contains("expected a distribution"));
    CHECK_THAT(error_of(head + "sample: {train.lr: {log_uniform: [1.0e-4, 1.0e-2]}}\n"), Catch::Contains("needs samples: N"));
    CHECK_THAT(error_of(head + "samples: 3\n"), Catch::Contains("key 'samples': needs a sample: block"));
    CHECK_THAT(error_of(head + "sample: {train.lr: {log_uniform: [1.0e-4, 1.0e-2]}}\nsamples: 0\n"),
               Catch::Contains("key 'samples': expected an integer from 1 to 10000"));
    CHECK_THAT(error_of(head + "sample: {train.lr: {choice: [0.1, 0.2], integer: true}}\nsamples: 1\n"),
               Catch::Contains("integer: applies to uniform and log_uniform"));
    CHECK_THAT(error_of(head + "sample: {train.warmup: {uniform: [0, 1], integer: true}}\nsamples: 3\n"),
               Catch::Contains("asked for 3 distinct points") && Catch::Contains("gave only 2"));
    CHECK_THAT(error_of(head + "sample: {train.lr: {uniform: [0.1, 0.2]}}\nsamples: 2\ngrid: {train.lr: [0.1]}\n"),
               Catch::Contains("set by both"));
    CHECK_THAT(error_of(head + "sample: {train.lrr: {uniform: [0.1, 0.2]}}\nsamples: 2\n"), Catch::Contains("did you mean 'train.lr'"));
}
