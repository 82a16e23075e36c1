// The data pipeline on the real Brown corpus (fetched once into
// $ALTUP_DATA_DIR) and on small generated text.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>

#include "experiments/data/corpus.hpp"
#include "experiments/data/dataset.hpp"
#include "experiments/data/split.hpp"
#include "experiments/data/tokenizer.hpp"

using namespace altup;
namespace fs = std::filesystem;

namespace {
std::string cache_root() {
    const char* env = std::getenv("ALTUP_DATA_DIR");
    return env && *env ? env : (fs::current_path() / "data-cache").string();
}
const std::string& brown_dir() {
    static const std::string dir = ensure_brown_corpus(cache_root(), true);
    return dir;
}
}  // namespace

TEST_CASE("tag stripping on a real Brown file keeps words, tags, sentences and paragraphs", "[data][brown]") {
    const Document d = read_brown_file(brown_dir() + "/ca01");
    CHECK(d.id == "ca01");
    CHECK(d.genre == 'a');
    const Sentence& first = d.paragraphs.at(0).at(0);
    CHECK(first.at(0).word == "The");
    CHECK(first.at(0).tag == "at");
    CHECK(first.at(1).word == "Fulton");
    CHECK(first.at(1).tag == "np-tl");
    CHECK(sentence_text(first).rfind("The Fulton County Grand Jury said Friday an investigation of Atlanta's recent primary election produced \" no evidence \" that", 0) == 0);
    // ca01 has a headline paragraph ("Merger proposed") followed by two sentences in one paragraph.
    bool multi_sentence_paragraph = false;
    for (const auto& p : d.paragraphs) multi_sentence_paragraph = multi_sentence_paragraph || p.size() > 1;
    CHECK(multi_sentence_paragraph);
    const std::string text = document_text(d);
    CHECK(text.find("/at") == std::string::npos);
    CHECK(text.find("\n\n") != std::string::npos);
}

TEST_CASE("the whole corpus: 500 documents in 15 genres", "[data][brown]") {
    const auto docs = load_brown(brown_dir());
    REQUIRE(docs.size() == 500);
    std::map<char, int> per_genre;
    for (const auto& d : docs) per_genre[d.genre]++;
    CHECK(per_genre.size() == 15);
    CHECK(per_genre['a'] == 44);
    CHECK(per_genre['j'] == 80);
    CHECK(per_genre['m'] == 6);
    for (const auto& [g, name] : brown_genres()) CHECK(per_genre.count(g));
}

TEST_CASE("the split is by document, disjoint, deterministic and stratified over genres", "[data][brown]") {
    const auto docs = load_brown(brown_dir());
    const auto a = split_documents(docs, 0.05, 0.05), b = split_documents(docs, 0.05, 0.05);
    CHECK(a == b);
    std::map<char, std::array<int, 3>> counts;
    for (size_t i = 0; i < docs.size(); ++i) counts[docs[i].genre][int(a[i])]++;
    for (const auto& [genre, c] : counts) {
        INFO("genre " << genre);
        CHECK(c[1] >= 1);  // every genre in validation
        CHECK(c[2] >= 1);  // and in test
        CHECK(c[0] > c[1] + c[2]);
    }
    // 44 press-reportage documents: round(2.2) = 2 each to validation and test.
    CHECK(counts['a'][1] == 2);
    CHECK(counts['a'][2] == 2);
}

TEST_CASE("tokenizers round-trip text", "[data]") {
    const std::string text = "The jury said it did find that many of Georgia's registration laws are outmoded.";
    auto bytes = make_byte_tokenizer();
    CHECK(bytes->decode(bytes->encode(text)) == text);
    CHECK(bytes->vocab_size() == 256);

    const fs::path dir = fs::temp_directory_path() / ("altup-sp-" + std::to_string(::getpid()));
    fs::create_directories(dir);
    {
        const auto docs = load_brown(brown_dir());
        std::ofstream out(dir / "train.txt");
        for (size_t i = 0; i < 40; ++i)
            for (const auto& p : docs[i].paragraphs)
                for (const auto& s : p) out << sentence_text(s) << '\n';
    }
    for (SentencePieceType type : {SentencePieceType::unigram, SentencePieceType::bpe}) {
        const std::string model = (dir / (std::string(to_string(type)) + ".model")).string();
        train_sentencepiece((dir / "train.txt").string(), model, 512, type);
        auto sp = load_sentencepiece(model);
        CHECK(sp->vocab_size() == 512);
        const auto ids = sp->encode(text);
        CHECK(ids.size() < text.size() / 2);  // it merges characters into pieces
        CHECK(sp->decode(ids) == text);
    }
    fs::remove_all(dir);
}

TEST_CASE("token cache: keyed by settings, prepared once, batches deterministic", "[data]") {
    const fs::path dir = fs::temp_directory_path() / ("altup-cache-" + std::to_string(::getpid()));
    fs::create_directories(dir);
    {
        std::ofstream out(dir / "corpus.txt");
        for (int d = 0; d < 30; ++d) {
            for (int s = 0; s < 5; ++s) out << "document " << d << " sentence " << s << " has some words in it.\n";
            out << "\n";
        }
    }
    DataConfig cfg;
    cfg.corpus = CorpusKind::text;
    cfg.path = (dir / "corpus.txt").string();
    cfg.tokenizer = TokenizerKind::bytes;
    cfg.cache_dir = (dir / "cache").string();
    const std::string key = token_cache_key(cfg, 256);
    DataConfig other = cfg;
    other.split_valid = 0.1;
    CHECK(token_cache_key(other, 256) != key);
    other = cfg;
    other.tokenizer = TokenizerKind::sentencepiece;
    CHECK(token_cache_key(other, 256) != key);

    const TokenSplits a = prepare_token_splits(cfg, 256, true);
    CHECK(a.cache_key == key);
    CHECK(fs::exists(fs::path(a.cache_dir) / "meta.json"));
    const auto stamp = fs::last_write_time(fs::path(a.cache_dir) / "train.bin");
    const TokenSplits b = prepare_token_splits(cfg, 256, true);  // a cache hit: nothing rewritten
    CHECK(fs::last_write_time(fs::path(b.cache_dir) / "train.bin") == stamp);
    CHECK(a.train == b.train);
    CHECK(!a.valid.empty());
    CHECK(!a.test.empty());
    // 30 documents, no genres: round(1.5) = 2 to each of validation and test -> 26 end-of-document tokens in training.
    CHECK(std::count(a.train.begin(), a.train.end(), 0) == 26);

    const int B = 3, T = 8;
    std::vector<int32_t> in1(B * T), tg1(B * T), in2(B * T), tg2(B * T);
    Rng r1(42), r2(42);
    sample_batch(a.train, B, T, r1, in1.data(), tg1.data());
    sample_batch(a.train, B, T, r2, in2.data(), tg2.data());
    CHECK(in1 == in2);
    CHECK(tg1 == tg2);
    for (int b = 0; b < B; ++b) {
        for (int t = 0; t + 1 < T; ++t) CHECK(tg1[b * T + t] == in1[b * T + t + 1]);  // targets are inputs shifted
        // ... and each window is a real slice of the stream.
        bool found = false;
        for (size_t s = 0; s + T < a.train.size() && !found; ++s)
            found = std::equal(in1.begin() + b * T, in1.begin() + (b + 1) * T, a.train.begin() + s) && a.train[s + T] == tg1[b * T + T - 1];
        CHECK(found);
    }
    // Evaluation windows tile the split in order.
    const size_t n = eval_window_count(a.valid, T);
    CHECK(n == (a.valid.size() - 1) / T);
    std::vector<int32_t> ei(n * T), et(n * T);
    eval_windows(a.valid, T, 0, n, ei.data(), et.data());
    CHECK(std::equal(ei.begin(), ei.end(), a.valid.begin()));
    CHECK(std::equal(et.begin(), et.end(), a.valid.begin() + 1));
    fs::remove_all(dir);
}

TEST_CASE("a text corpus with too few documents is refused clearly", "[data]") {
    const fs::path p = fs::temp_directory_path() / ("altup-few-" + std::to_string(::getpid()) + ".txt");
    std::ofstream(p) << "just one document\nwith two lines\n";
    CHECK_THROWS_WITH(load_text_corpus(p.string()), Catch::Contains("needs at least 3 documents"));
    fs::remove(p);
}

TEST_CASE("a vocabulary the text cannot fill, or too small for its characters, is refused naming model.vocab and what fits",
          "[data][vocab]") {
    const fs::path dir = fs::temp_directory_path() / ("altup-vocab-" + std::to_string(::getpid()));
    fs::remove_all(dir);
    fs::create_directories(dir);
    {
        std::ofstream out(dir / "small.txt");
        for (int d = 0; d < 12; ++d) {
            for (int s = 0; s < 4; ++s) out << "the cat " << d << " sat on mat " << s << " today.\n";
            out << "\n";
        }
    }
    DataConfig cfg;
    cfg.corpus = CorpusKind::text;
    cfg.path = (dir / "small.txt").string();
    cfg.tokenizer = TokenizerKind::sentencepiece;
    cfg.cache_dir = (dir / "cache").string();
    std::string message;
    try {
        prepare_token_splits(cfg, 8000, true);
    } catch (const std::exception& e) {
        message = e.what();
    }
    CHECK_THAT(message, Catch::StartsWith("model.vocab = 8000: more pieces than SentencePiece (unigram) can make from the "
                                          "training split of " + cfg.path + " (data.path)"));
    CHECK_THAT(message, Catch::Contains("or use data.tokenizer: bytes"));
    // The suggested size is the largest that works: it trains, and one more is refused again.
    std::smatch m;
    REQUIRE(std::regex_search(message, m, std::regex(R"(--set model.vocab=([0-9]+)\))")));
    const int fits = std::stoi(m[1]);
    CHECK(fits < 8000);
    CHECK(prepare_token_splits(cfg, fits, true).vocab_size <= fits);
    CHECK_THROWS_WITH(prepare_token_splits(cfg, fits + 1, true), Catch::Contains("model.vocab = " + std::to_string(fits + 1)));

    // Fewer pieces than distinct characters (with character_coverage 1.0 each needs one).
    std::string small;
    try {
        prepare_token_splits(cfg, 8, true);
    } catch (const std::exception& e) {
        small = e.what();
    }
    CHECK_THAT(small, Catch::StartsWith("model.vocab = 8: too few pieces for the training split of"));
    CHECK_THAT(small, Catch::Contains("needs at least"));
    fs::remove_all(dir);
}
