// Reference floors in `altup analyze`: one set per distinct data/eval
// configuration, read through the trials' resolved configs, and a one-line
// note (never a failure) when a token cache cannot be found.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <random>

#include <nlohmann/json.hpp>

#include "analysis/report.hpp"
#include "analysis_fixtures.hpp"
#include "experiments/config/config_io.hpp"
#include "experiments/data/dataset.hpp"
#include "experiments/data/ngram_floors.hpp"
#include "experiments/data/token_cache.hpp"

using namespace altup;
using namespace altup_test;
namespace fs = std::filesystem;

namespace {

std::vector<int32_t> random_tokens(size_t n, int vocab, unsigned seed) {
    std::mt19937 rng(seed);
    std::uniform_int_distribution<int32_t> pick(0, vocab - 1);
    std::vector<int32_t> t(n);
    for (auto& x : t) x = pick(rng) % (1 + pick(rng));  // skewed towards small ids
    return t;
}

// A prepared token cache for `data` (as the trainer would leave it), holding these streams.
void make_token_cache(const DataConfig& data, int vocab, const std::vector<int32_t>& train, const std::vector<int32_t>& valid,
                      const std::vector<int32_t>& test) {
    const fs::path dir = fs::path(data.cache_dir) / ("tokens-" + token_cache_key(data, vocab));
    fs::create_directories(dir);
    TokenArrays t;
    t.split[0] = train, t.split[1] = valid, t.split[2] = test;
    write_token_cache(dir.string(), t, vocab, nlohmann::json::object());
}

// A completed pretraining result (the fixture's numbers) with this resolved config.
void write_result(const std::string& path, const std::string& trial_id, const Config& c) {
    nlohmann::json r = nlohmann::json::parse(slurp(kPaperRuns + "/ab1/result.json"));
    r["trial_id"] = trial_id;
    r["labels"]["seed"] = trial_id;
    r["config"] = to_json(c);
    write_text(path, r.dump(2));
}

// Vocabulary 32, windows of 8 tokens, 2 evaluation batches of 4, its token cache under cache_dir.
Config small_eval_config(const std::string& cache_dir) {
    Config c;
    c.model.vocab = 32;
    c.model.seq_len = 8;
    c.eval.batch = 4;
    c.eval.batches = 2;
    c.data.cache_dir = cache_dir;
    return c;
}

}  // namespace

TEST_CASE("analyze shows n-gram reference floors per data/eval configuration", "[analysis][floors]") {
    ScratchDir dir;
    REQUIRE(!dir.path().empty());
    Config c = small_eval_config(dir.path() + "/cache");
    const std::vector<int32_t> train = random_tokens(3000, 32, 1), valid = random_tokens(400, 32, 2);
    make_token_cache(c.data, 32, train, valid, valid);
    // Two seeds of one configuration, one trial evaluated on longer windows, one whose cache is elsewhere.
    write_result(dir.path() + "/runs/a/result.json", "1", c);
    write_result(dir.path() + "/runs/b/result.json", "2", c);
    Config longer = c;
    longer.model.seq_len = 16;
    write_result(dir.path() + "/runs/c/result.json", "3", longer);
    Config missing = c;
    missing.data.cache_dir = dir.path() + "/nowhere";
    write_result(dir.path() + "/runs/d/result.json", "4", missing);

    const Analysis a = analyze(dir.path() + "/runs", AnalyzeOptions{});
    const ReferenceFloors& f = a.reference_floors;
    REQUIRE(f.configs.size() == 2);
    CHECK(f.configs[0].trials == 2);
    CHECK(f.configs[1].trials == 1);
    CHECK(f.configs[0].settings.seq_len == 8);
    CHECK(f.configs[1].settings.seq_len == 16);
    // The same numbers as the floors computed directly from the streams and the trials' eval settings.
    FloorSettings s;
    s.seq_len = 8, s.eval_batch = 4, s.eval_batches = 2, s.vocab = 32;
    const NgramFloors direct = compute_ngram_floors(train, valid, s);
    REQUIRE(f.configs[0].floors.floors.size() == 3);
    for (int i = 0; i < 3; ++i) {
        CHECK(f.configs[0].floors.floors[i].loss == Approx(direct.floors[i].loss));
        CHECK(f.configs[0].floors.floors[i].accuracy == Approx(direct.floors[i].accuracy));
    }
    CHECK(f.configs[0].floors.eval_tokens == 2 * 4 * 8);
    CHECK(f.configs[1].floors.eval_tokens == 2 * 4 * 16);
    // The missing cache: one line, the analysis goes on.
    REQUIRE(f.notes.size() == 1);
    CHECK_THAT(f.notes[0], Catch::Contains("1 trial(s) left out of the reference floors"));
    CHECK_THAT(f.notes[0], Catch::Contains(dir.path() + "/nowhere/tokens-"));
    CHECK_THAT(f.notes[0], Catch::Contains("not found"));

    ReportRequest md;
    const std::string text = render_report(a, AnalyzeOptions{}, md).text;
    CHECK_THAT(text, Catch::Contains("## Reference floors (count-based n-gram models on the same tokens and validation windows)"));
    CHECK_THAT(text, Catch::Contains("| trigram (interpolated KN) |"));
    CHECK_THAT(text, Catch::Contains("seq_len 8, eval 2 × 4 windows | 2 | unigram (add-one) |"));
    ReportRequest js;
    js.format = ReportFormat::json;
    const nlohmann::json j = nlohmann::json::parse(render_report(a, AnalyzeOptions{}, js).text);
    REQUIRE(j["reference_floors"]["configurations"].size() == 2);
    CHECK(j["reference_floors"]["configurations"][0]["floors"][1]["eval_loss"].get<double>() == Approx(direct.floors[1].loss));
    CHECK(j["reference_floors"]["configurations"][0]["floors"][2]["token_accuracy"].get<double>() ==
          Approx(direct.floors[2].accuracy));
    CHECK(j["reference_floors"]["notes"].size() == 1);

    // The second analysis reads the cache files the first one wrote.
    const Analysis again = analyze(dir.path() + "/runs", AnalyzeOptions{});
    CHECK(again.reference_floors.configs.at(0).floors.from_cache);
    CHECK(again.reference_floors.configs.at(0).floors.floors[2].loss == f.configs[0].floors.floors[2].loss);
}

TEST_CASE("configs that are not resolved ones give a note, not floors from defaults", "[analysis][floors]") {
    // The fixture results carry partial configs ({"model": {"preset": ...}}).
    const Analysis a = analyze(kPaperRuns, AnalyzeOptions{});
    CHECK(a.reference_floors.configs.empty());
    REQUIRE(a.reference_floors.notes.size() == 1);
    CHECK_THAT(a.reference_floors.notes[0], Catch::Contains("not a resolved one (no data.corpus)"));
}

TEST_CASE("with --split test the floors are scored on the test windows, cached apart from the validation ones", "[analysis][floors]") {
    ScratchDir dir;
    REQUIRE(!dir.path().empty());
    Config c = small_eval_config(dir.path() + "/cache");
    const std::vector<int32_t> train = random_tokens(3000, 32, 1), valid = random_tokens(400, 32, 2),
                               test = random_tokens(400, 32, 3);
    make_token_cache(c.data, 32, train, valid, test);
    write_result(dir.path() + "/runs/a/result.json", "1", c);
    FloorSettings s;
    s.seq_len = 8, s.eval_batch = 4, s.eval_batches = 2, s.vocab = 32;
    const NgramFloors on_valid = compute_ngram_floors(train, valid, s);
    s.split = EvalSplit::test;
    const NgramFloors on_test = compute_ngram_floors(train, test, s);
    REQUIRE(on_test.floors[2].loss != Approx(on_valid.floors[2].loss));  // the two splits must tell apart

    const Analysis v = analyze(dir.path() + "/runs", AnalyzeOptions{});  // writes the validation cache file first
    AnalyzeOptions o;
    o.split = EvalSplit::test;
    const Analysis t = analyze(dir.path() + "/runs", o);
    REQUIRE(t.reference_floors.configs.size() == 1);
    const NgramFloors& f = t.reference_floors.configs[0].floors;
    CHECK_FALSE(f.from_cache);  // not the validation floors read back
    CHECK(f.cache_file != v.reference_floors.configs.at(0).floors.cache_file);
    for (int i = 0; i < 3; ++i) {
        CHECK(f.floors[i].loss == Approx(on_test.floors[i].loss));
        CHECK(f.floors[i].accuracy == Approx(on_test.floors[i].accuracy));
        CHECK(v.reference_floors.configs.at(0).floors.floors[i].loss == Approx(on_valid.floors[i].loss));
    }
    ReportRequest md;
    const std::string text = render_report(t, o, md).text;
    CHECK_THAT(text, Catch::Contains("## Reference floors (count-based n-gram models on the same tokens and test windows)"));
    CHECK_THAT(text, Catch::Contains("| test loss |"));
    CHECK(analyze(dir.path() + "/runs", o).reference_floors.configs.at(0).floors.from_cache);
}
