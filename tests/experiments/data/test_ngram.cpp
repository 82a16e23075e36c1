// The count-based n-gram floors: probabilities, loss and accuracy against a
// hand count, normalisation, the exact argmax, and the cache file.
#include <catch2/catch.hpp>

#include <stdlib.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <random>

#include <nlohmann/json.hpp>

#include "experiments/data/dataset.hpp"
#include "experiments/data/ngram_floors.hpp"
#include "experiments/data/ngram_model.hpp"
#include "experiments/data/token_cache.hpp"

using namespace altup;
namespace fs = std::filesystem;

namespace {

// Training stream 0 1 0 1 2 over V = 4 ids (3 is never seen), D = 0.75.
const std::vector<int32_t> kTrain{0, 1, 0, 1, 2};
constexpr int kV = 4;
constexpr double D = 0.75;

// Hand count.
//   unigrams  c(0)=2 c(1)=2 c(2)=1 c(3)=0, N = 5
//   bigrams   01:2  10:1  12:1          (types 01, 10, 12)
//   trigrams  010:1 101:1 012:1
// Continuation unigram N1+(.w) (distinct left neighbours among bigram types):
//   w=0: {1}, w=1: {0}, w=2: {1}, w=3: none; total 3, 3 ids seen
//   P1c(w) = (max(N1+(.w) - D, 0) + D * 3 / 4) / 3
const double kP1c_seen = (0.25 + D * 3 / 4.0) / 3;  // 0.8125 / 3 for ids 0, 1, 2
const double kP1c_3 = (D * 3 / 4.0) / 3;            // 0.1875
// Bigram model, raw counts on top:
//   context 0: c(0.) = 2, one type (1)
const double kB_1_0 = (2 - D + D * 1 * kP1c_seen) / 2;  // P(1|0) = 0.7265625
const double kB_0_0 = (D * 1 * kP1c_seen) / 2;          // P(0|0) = P(2|0) = 0.1015625
const double kB_3_0 = (D * 1 * kP1c_3) / 2;             // P(3|0) = 0.0703125
//   context 1: c(1.) = 2, two types (0, 2)
const double kB_0_1 = (1 - D + D * 2 * kP1c_seen) / 2;  // P(0|1) = P(2|1) = 0.328125
const double kB_1_1 = (D * 2 * kP1c_seen) / 2;          // P(1|1) = 0.203125
// Trigram model. Continuation bigram counts N1+(.vw) from the trigram types'
// suffixes 10, 01, 12: context 0 -> {1: 1}, context 1 -> {0: 1, 2: 1}.
const double kC_1_0 = (1 - D + D * 1 * kP1c_seen) / 1;  // P2c(1|0) = 0.453125
const double kC_0_0 = (D * 1 * kP1c_seen) / 1;          // P2c(0|0) = 0.203125
const double kC_0_1 = (1 - D + D * 2 * kP1c_seen) / 2;  // P2c(0|1) = P2c(2|1) = 0.328125
const double kC_1_1 = (D * 2 * kP1c_seen) / 2;          // P2c(1|1) = 0.203125
//   context 01: c(01.) = 2, types 0 and 2
const double kT_0_01 = (1 - D + D * 2 * kC_0_1) / 2;  // P(0|01) = P(2|01) = 0.37109375
const double kT_1_01 = (D * 2 * kC_1_1) / 2;          // P(1|01) = 0.15234375
//   context 10: c(10.) = 1, type 1
const double kT_1_10 = (1 - D + D * 1 * kC_1_0) / 1;  // P(1|10) = 0.58984375
const double kT_0_10 = (D * 1 * kC_0_0) / 1;          // P(0|10) = 0.15234375

double p(const NgramModel& m, std::vector<int32_t> context, int32_t w) {
    return m.prob(context.data(), int(context.size()), w);
}
int32_t best(const NgramModel& m, std::vector<int32_t> context) { return m.argmax(context.data(), int(context.size())); }

// The lowest id of maximal probability, over the whole vocabulary.
int32_t brute_argmax(const NgramModel& m, const std::vector<int32_t>& context) {
    int32_t b = 0;
    for (int32_t w = 1; w < m.vocab(); ++w)
        if (p(m, context, w) > p(m, context, b)) b = w;
    return b;
}

// A skewed random stream (Zipf-like), so some contexts are frequent, many
// unseen, and ties happen among the unseen continuations.
std::vector<int32_t> random_stream(size_t n, int vocab, unsigned seed) {
    std::mt19937 rng(seed);
    std::vector<double> weights;
    for (int i = 0; i < vocab; ++i) weights.push_back(1.0 / (i + 1));
    std::discrete_distribution<int32_t> pick(weights.begin(), weights.end());
    std::vector<int32_t> s(n);
    for (auto& x : s) x = pick(rng);
    return s;
}

// Every context of length 0..2 over the vocabulary.
std::vector<std::vector<int32_t>> all_contexts(int vocab) {
    std::vector<std::vector<int32_t>> out{{}};
    for (int32_t a = 0; a < vocab; ++a) {
        out.push_back({a});
        for (int32_t b = 0; b < vocab; ++b) out.push_back({a, b});
    }
    return out;
}

}  // namespace

TEST_CASE("n-gram probabilities match a hand count", "[ngram]") {
    const NgramModel uni(kTrain, 1, kV, D), bi(kTrain, 2, kV, D), tri(kTrain, 3, kV, D);
    // Add-one unigram: (c(w) + 1) / (N + V) = 3/9, 3/9, 2/9, 1/9, whatever the context.
    CHECK(p(uni, {}, 0) == Approx(3.0 / 9));
    CHECK(p(uni, {1}, 1) == Approx(3.0 / 9));
    CHECK(p(uni, {}, 2) == Approx(2.0 / 9));
    CHECK(p(uni, {2, 2}, 3) == Approx(1.0 / 9));
    CHECK(kB_1_0 == Approx(0.7265625));  // the hand arithmetic itself
    CHECK(p(bi, {0}, 1) == Approx(kB_1_0));
    CHECK(p(bi, {0}, 0) == Approx(kB_0_0));
    CHECK(p(bi, {0}, 2) == Approx(kB_0_0));
    CHECK(p(bi, {0}, 3) == Approx(kB_3_0));
    CHECK(p(bi, {1}, 0) == Approx(kB_0_1));
    CHECK(p(bi, {1}, 2) == Approx(kB_0_1));
    CHECK(p(bi, {1}, 1) == Approx(kB_1_1));
    CHECK(p(bi, {2}, 1) == Approx(kP1c_seen));  // 2 never precedes anything: the continuation unigram
    CHECK(p(bi, {2}, 3) == Approx(kP1c_3));
    CHECK(p(bi, {1, 0}, 1) == Approx(kB_1_0));  // a bigram model reads one token of context
    CHECK(p(tri, {0, 1}, 0) == Approx(kT_0_01));
    CHECK(p(tri, {0, 1}, 2) == Approx(kT_0_01));
    CHECK(p(tri, {0, 1}, 1) == Approx(kT_1_01));
    CHECK(p(tri, {1, 0}, 1) == Approx(kT_1_10));
    CHECK(p(tri, {1, 0}, 0) == Approx(kT_0_10));
    CHECK(p(tri, {2, 1}, 0) == Approx(kC_0_1));  // unseen trigram context: the continuation bigram
    CHECK(p(tri, {1, 2}, 1) == Approx(kP1c_seen));  // ... and below it the continuation unigram
    // One token of context (a window's first position): the trigram model predicts as the bigram model.
    CHECK(p(tri, {0}, 1) == Approx(kB_1_0));
    CHECK(p(tri, {1}, 1) == Approx(kB_1_1));
    // Argmax: the lowest id among equals.
    CHECK(best(uni, {}) == 0);         // c(0) = c(1) = 2
    CHECK(best(bi, {0}) == 1);
    CHECK(best(bi, {1}) == 0);         // P(0|1) = P(2|1)
    CHECK(best(bi, {2}) == 0);         // ids 0, 1, 2 tie in the continuation unigram
    CHECK(best(tri, {1, 0}) == 1);
    CHECK(best(tri, {0, 1}) == 0);     // P(0|01) = P(2|01)
}

TEST_CASE("n-gram loss and accuracy over evaluation windows match a hand count", "[ngram]") {
    // Validation stream 0 1 2 1 0 1 0, seq_len 2: windows (inputs -> targets)
    //   [0 1] -> [1 2],  [2 1] -> [1 0],  [0 1] -> [1 0]
    // Position 0 of a window sees only its first token: the third window's
    // first target is predicted from [0], never from [1 0] across the start.
    const std::vector<int32_t> valid{0, 1, 2, 1, 0, 1, 0};
    FloorSettings s;
    s.seq_len = 2, s.eval_batch = 2, s.eval_batches = 0, s.vocab = kV, s.discount = D;
    const NgramFloors f = compute_ngram_floors(kTrain, valid, s);
    REQUIRE(f.floors.size() == 3);
    CHECK(f.eval_windows == 3);
    CHECK(f.eval_tokens == 6);
    CHECK(f.train_tokens == 5);
    // Unigram: targets 1 2 1 0 1 0 with P = 3/9 except P(2) = 2/9; argmax 0 is right twice.
    CHECK(f.floors[0].loss == Approx((5 * std::log(3.0) + std::log(9.0 / 2)) / 6));  // 1.16619
    CHECK(f.floors[0].accuracy == Approx(2.0 / 6));
    // Bigram: P(1|0) ok, P(2|1) (argmax 0), P1c(1) from the unseen context 2 (argmax 0),
    // P(0|1) ok, P(1|0) ok, P(0|1) ok.
    CHECK(f.floors[1].loss == Approx(-(2 * std::log(kB_1_0) + 3 * std::log(kB_0_1) + std::log(kP1c_seen)) / 6));  // 0.88137
    CHECK(f.floors[1].accuracy == Approx(4.0 / 6));
    // Trigram: [0] -> P(1|0) ok, [0 1] -> P(2|01) (argmax 0), [2] -> P1c(1) (argmax 0),
    // [2 1] -> P2c(0|1) ok, [0] -> P(1|0) ok, [0 1] -> P(0|01) ok.
    CHECK(f.floors[2].loss ==
          Approx(-(2 * std::log(kB_1_0) + 2 * std::log(kT_0_01) + std::log(kP1c_seen) + std::log(kC_0_1)) / 6));  // 0.84035
    CHECK(f.floors[2].accuracy == Approx(4.0 / 6));

    // eval.batches = 1 of eval.batch = 2 windows: the trainer scores only the first two.
    s.eval_batches = 1;
    const NgramFloors two = compute_ngram_floors(kTrain, valid, s);
    CHECK(two.eval_windows == 2);
    CHECK(two.eval_tokens == 4);
    CHECK(two.floors[1].loss == Approx(-(std::log(kB_1_0) + 2 * std::log(kB_0_1) + std::log(kP1c_seen)) / 4));  // 0.96360
    CHECK(two.floors[1].accuracy == Approx(2.0 / 4));
}

TEST_CASE("n-gram probabilities of every context sum to one over the vocabulary", "[ngram]") {
    const int V = 12;
    const std::vector<int32_t> train = random_stream(400, V, 7);
    for (int order = 1; order <= 3; ++order) {
        const NgramModel m(train, order, V, D);
        for (const auto& context : all_contexts(V)) {
            double sum = 0;
            for (int32_t w = 0; w < V; ++w) sum += p(m, context, w);
            INFO("order " << order << ", context length " << context.size());
            CHECK(sum == Approx(1.0).margin(1e-12));
        }
    }
    // The hand example too, where id 3 is never seen at all.
    const NgramModel tri(kTrain, 3, kV, D);
    for (const auto& context : all_contexts(kV)) {
        double sum = 0;
        for (int32_t w = 0; w < kV; ++w) sum += p(tri, context, w);
        CHECK(sum == Approx(1.0).margin(1e-12));
    }
}

TEST_CASE("the n-gram argmax fast path equals a brute-force argmax over the vocabulary", "[ngram]") {
    for (unsigned seed : {1u, 2u, 3u}) {
        const int V = 20 + int(seed) * 7;
        const std::vector<int32_t> train = random_stream(300 * seed, V, seed);
        for (int order = 1; order <= 3; ++order) {
            const NgramModel m(train, order, V, D);
            for (const auto& context : all_contexts(V)) {
                INFO("seed " << seed << ", order " << order << ", context length " << context.size());
                CHECK(best(m, context) == brute_argmax(m, context));
            }
        }
    }
}

TEST_CASE("n-gram models reject bad input with a clear message", "[ngram]") {
    CHECK_THROWS_WITH(NgramModel({0, 5}, 2, 4), Catch::Contains("training token 5 at position 1"));
    CHECK_THROWS_WITH(NgramModel(kTrain, 4, kV), Catch::Contains("order 4"));
    CHECK_THROWS_WITH(NgramModel(kTrain, 2, kV, 1.0), Catch::Contains("0 < D < 1"));
    FloorSettings s;
    s.seq_len = 0, s.eval_batch = 1, s.vocab = kV;
    CHECK_THROWS_WITH(compute_ngram_floors(kTrain, kTrain, s), Catch::Contains("model.seq_len"));
    s.seq_len = 5;
    CHECK_THROWS_WITH(compute_ngram_floors(kTrain, kTrain, s), Catch::Contains("shorter than one window"));
}

namespace {
struct TempCache {
    fs::path root;
    TempCache() {
        std::string pattern = (fs::temp_directory_path() / "altup-ngram-test-XXXXXX").string();
        root = ::mkdtemp(pattern.data()) ? pattern : "";
    }
    ~TempCache() {
        std::error_code ec;
        fs::remove_all(root, ec);
    }
};
// A token cache as a data preparation would leave it (valid also serves as test).
void write_cache(const fs::path& dir, const std::vector<int32_t>& train, const std::vector<int32_t>& valid, int vocab) {
    TokenArrays t;
    t.split[0] = train, t.split[1] = valid, t.split[2] = valid;
    write_token_cache(dir.string(), t, vocab, nlohmann::json::object());
}
}  // namespace

TEST_CASE("n-gram floors are cached in the token cache folder and recomputed when the tokens change", "[ngram]") {
    TempCache tmp;
    REQUIRE(!tmp.root.empty());
    DataConfig data;
    data.cache_dir = tmp.root.string();
    const int vocab = 16;
    const fs::path dir = tmp.root / ("tokens-" + token_cache_key(data, vocab));
    fs::create_directories(dir);
    const std::vector<int32_t> train = random_stream(2000, vocab, 11), valid = random_stream(300, vocab, 12);
    write_cache(dir, train, valid, vocab);

    FloorSettings s;
    s.seq_len = 8, s.eval_batch = 4, s.eval_batches = 3, s.vocab = vocab;
    const NgramFloors first = ngram_floors(*load_token_splits(data, vocab), s);
    CHECK_FALSE(first.from_cache);
    CHECK(first.cache_note.empty());
    CHECK(fs::path(first.cache_file).parent_path() == dir);
    CHECK(fs::path(first.cache_file).filename().string().rfind("ngram-floors-", 0) == 0);
    REQUIRE(fs::exists(first.cache_file));
    const nlohmann::json file = nlohmann::json::parse(std::ifstream(first.cache_file));
    CHECK(file["computed_from"]["token_files"]["train.bin"]["tokens"] == 2000);
    CHECK(file["computed_from"]["eval"]["batches"] == 3);
    CHECK(file["eval_tokens"] == 3 * 4 * 8);

    const NgramFloors again = ngram_floors(*load_token_splits(data, vocab), s);
    CHECK(again.from_cache);
    for (int i = 0; i < 3; ++i) {
        CHECK(again.floors[i].loss == first.floors[i].loss);
        CHECK(again.floors[i].accuracy == first.floors[i].accuracy);
    }

    // The same size, other tokens (a rebuilt cache): the checksum no longer matches.
    std::vector<int32_t> changed = train;
    for (size_t i = 0; i < changed.size(); i += 3) changed[i] = (changed[i] + 5) % vocab;
    write_cache(dir, changed, valid, vocab);
    const NgramFloors recomputed = ngram_floors(*load_token_splits(data, vocab), s);
    CHECK_FALSE(recomputed.from_cache);
    CHECK(recomputed.floors[2].loss != first.floors[2].loss);
    CHECK(recomputed.floors[2].loss == compute_ngram_floors(changed, valid, s).floors[2].loss);
    CHECK(ngram_floors(*load_token_splits(data, vocab), s).from_cache);

    // Other evaluation settings: another file beside it.
    FloorSettings whole = s;
    whole.eval_batches = 0;
    CHECK(ngram_floors_path(dir.string(), whole) != first.cache_file);
    CHECK(ngram_floors(*load_token_splits(data, vocab), whole).eval_windows == int64_t(eval_window_count(valid, 8)));

    // A torn cache file is recomputed, not trusted.
    std::ofstream(first.cache_file) << "{\"computed_from\": ";
    CHECK_FALSE(ngram_floors(*load_token_splits(data, vocab), s).from_cache);

    // Nothing prepared: load_token_splits says so instead of preparing.
    DataConfig elsewhere = data;
    elsewhere.cache_dir = (tmp.root / "empty").string();
    CHECK_FALSE(load_token_splits(elsewhere, vocab).has_value());
}
