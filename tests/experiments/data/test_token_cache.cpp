// Fault injection on the token cache: truncated, altered, out-of-range and
// older caches are never trusted; a valid one is reused untouched.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "experiments/data/dataset.hpp"
#include "experiments/data/token_cache.hpp"
#include "util/hash.hpp"

using namespace altup;
namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {
struct Scratch {
    fs::path root = fs::temp_directory_path() / ("altup-token-cache-" + std::to_string(::getpid()));
    Scratch() { fs::create_directories(root); }
    ~Scratch() {
        std::error_code ec;
        fs::remove_all(root, ec);
    }
};

std::string slurp(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}
void write_bytes(const fs::path& p, const std::string& bytes) { std::ofstream(p, std::ios::binary | std::ios::trunc) << bytes; }

// A 30-document text corpus with the byte tokenizer: prepared in well under a second.
DataConfig text_corpus(const fs::path& root) {
    {
        std::ofstream out(root / "corpus.txt");
        for (int d = 0; d < 30; ++d) {
            for (int s = 0; s < 5; ++s) out << "document " << d << " sentence " << s << " has some words in it.\n";
            out << "\n";
        }
    }
    DataConfig cfg;
    cfg.corpus = CorpusKind::text;
    cfg.path = (root / "corpus.txt").string();
    cfg.tokenizer = TokenizerKind::bytes;
    cfg.cache_dir = (root / "cache").string();
    return cfg;
}
}  // namespace

TEST_CASE("a token cache that does not match its meta.json is rebuilt, a valid one reused untouched", "[data][token-cache]") {
    Scratch tmp;
    const DataConfig cfg = text_corpus(tmp.root);
    const TokenSplits first = prepare_token_splits(cfg, 256, true);
    CHECK(first.rebuilt_because.empty());
    const fs::path dir = first.cache_dir, train = dir / "train.bin";
    const std::string original = slurp(train);
    const size_t bytes = original.size(), tokens = bytes / 4;
    REQUIRE(bytes > 2000);
    REQUIRE(first.train.size() == tokens);

    // meta.json records what an independent reading of the files gives.
    const json meta = json::parse(slurp(dir / "meta.json"));
    CHECK(meta["format"] == 2);
    CHECK(meta["dtype"] == "int32le");
    CHECK(meta["vocab_size"] == 256);
    for (const char* f : {"train.bin", "valid.bin", "test.bin"}) {
        const std::string b = slurp(dir / f);
        CHECK(meta["files"][f]["bytes"] == b.size());
        CHECK(meta["files"][f]["tokens"] == b.size() / 4);
        CHECK(meta["files"][f]["fnv1a64"] == fmt::format("{:016x}", fnv1a64(b)));
    }

    SECTION("valid: reused, nothing rewritten") {
        std::map<std::string, fs::file_time_type> stamps;
        for (const auto& e : fs::directory_iterator(dir)) stamps[e.path().filename().string()] = e.last_write_time();
        const std::string meta_text = slurp(dir / "meta.json");
        const TokenSplits again = prepare_token_splits(cfg, 256, true);
        CHECK(again.rebuilt_because.empty());
        CHECK(again.train == first.train);
        CHECK(slurp(train) == original);
        CHECK(slurp(dir / "meta.json") == meta_text);
        std::map<std::string, fs::file_time_type> after;
        for (const auto& e : fs::directory_iterator(dir)) after[e.path().filename().string()] = e.last_write_time();
        CHECK(after == stamps);
    }
    SECTION("truncated to an odd size: rebuilt with a message naming the file, no crash") {
        fs::resize_file(train, 1001);
        const TokenSplits s = prepare_token_splits(cfg, 256, true);
        CHECK(s.rebuilt_because == fmt::format("{}: 1001 bytes, meta.json says {} ({} tokens)", train.string(), bytes, tokens));
        CHECK(s.train == first.train);
        CHECK(slurp(train) == original);
    }
    SECTION("truncated to a whole number of tokens: detected by the count") {
        fs::resize_file(train, 1000);
        const TokenSplits s = prepare_token_splits(cfg, 256, true);
        CHECK(s.rebuilt_because ==
              fmt::format("{}: 250 tokens (1000 bytes), meta.json says {} tokens ({} bytes)", train.string(), tokens, bytes));
        CHECK(slurp(train) == original);
    }
    SECTION("one byte flipped, same size: detected by the checksum") {
        std::string flipped = original;
        flipped[bytes / 2] ^= 0x01;
        write_bytes(train, flipped);
        const TokenSplits s = prepare_token_splits(cfg, 256, true);
        CHECK_THAT(s.rebuilt_because, Catch::StartsWith(train.string() + ": checksum " + fmt::format("{:016x}", fnv1a64(flipped))));
        CHECK_THAT(s.rebuilt_because, Catch::Contains(fmt::format("meta.json says {:016x}", fnv1a64(original))));
        CHECK(slurp(train) == original);
    }
    SECTION("a killed build's leftovers are removed by the next build, never read") {
        const fs::path staging = fs::path(cfg.cache_dir) / (".staging-" + first.cache_key + "-999999");
        const fs::path old = fs::path(cfg.cache_dir) / (".old-" + first.cache_key + "-999999");
        fs::create_directories(staging);
        fs::create_directories(old);
        write_bytes(staging / "train.bin", "half");
        fs::resize_file(train, 1001);
        CHECK_FALSE(prepare_token_splits(cfg, 256, true).rebuilt_because.empty());
        CHECK_FALSE(fs::exists(staging));
        CHECK_FALSE(fs::exists(old));
        CHECK(slurp(train) == original);
    }
    SECTION("a file missing (a kill while an old cache was being removed): rebuilt") {
        fs::remove(dir / "valid.bin");
        const TokenSplits s = prepare_token_splits(cfg, 256, true);
        CHECK(s.rebuilt_because == (dir / "valid.bin").string() + ": missing or unreadable");
        CHECK(s.valid == first.valid);
    }
    SECTION("written by an older altup (no checksums): rebuilt, not trusted") {
        json old = meta;
        old.erase("files");
        old["format"] = 1;
        write_bytes(dir / "meta.json", old.dump(2));
        const TokenSplits s = prepare_token_splits(cfg, 256, true);
        CHECK_THAT(s.rebuilt_because, Catch::Contains("format 1 has no file sizes or checksums"));
        CHECK(json::parse(slurp(dir / "meta.json"))["files"]["train.bin"]["bytes"] == bytes);
    }
    SECTION("a torn meta.json: rebuilt") {
        write_bytes(dir / "meta.json", "{\"format\": 2, \"fil");
        CHECK_THAT(prepare_token_splits(cfg, 256, true).rebuilt_because, Catch::Contains("meta.json: not valid JSON"));
    }
    SECTION("analysis' read-only load refuses a bad cache naming the file, and leaves it alone") {
        fs::resize_file(train, 1001);
        CHECK_THROWS_WITH(load_token_splits(cfg, 256), Catch::Contains(train.string() + ": 1001 bytes") && Catch::Contains("altup train"));
        CHECK(fs::file_size(train) == 1001);
    }
}

TEST_CASE("token ids outside the vocabulary are refused where they are loaded, naming file and position", "[data][token-cache]") {
    Scratch tmp;
    DataConfig cfg;
    cfg.cache_dir = tmp.root.string();
    const int vocab = 16;
    const fs::path dir = token_cache_folder(cfg, vocab);
    fs::create_directories(dir);
    // Written by hand (not by write_token_cache, which refuses such ids): sizes
    // and checksums match, so only the range check can catch id 16 at position 3.
    const std::vector<int32_t> valid_ids = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, bad_ids = {0, 15, 3, 16, 2};
    json files;
    for (const auto& [name, ids] : {std::pair{"train.bin", valid_ids}, std::pair{"valid.bin", bad_ids}, std::pair{"test.bin", valid_ids}}) {
        const std::string b(reinterpret_cast<const char*>(ids.data()), ids.size() * 4);
        write_bytes(dir / name, b);
        files[name] = {{"tokens", ids.size()}, {"bytes", b.size()}, {"fnv1a64", fmt::format("{:016x}", fnv1a64(b))}};
    }
    write_bytes(dir / "meta.json", json{{"format", 2}, {"dtype", "int32le"}, {"vocab_size", vocab}, {"tokenizer", "bytes"},
                                        {"tokens", {10, 5, 10}}, {"files", files}}.dump());
    const std::string expected = (dir / "valid.bin").string() + ": token id 16 at position 3 is outside the vocabulary [0, 16)";
    CHECK_THROWS_WITH(load_token_splits(cfg, vocab), Catch::Contains(expected));
    CHECK_THROWS_WITH(prepare_token_splits(cfg, vocab, true), Catch::Contains(expected));

    // The writer refuses them too, before writing anything.
    fs::create_directories(tmp.root / "w");
    TokenArrays t;
    t.split[0] = valid_ids, t.split[1] = bad_ids, t.split[2] = valid_ids;
    CHECK_THROWS_WITH(write_token_cache((tmp.root / "w").string(), t, vocab, json::object()), Catch::Contains("position 3"));
    CHECK(fs::is_empty(tmp.root / "w"));
}

TEST_CASE("the tokenizer model is checked by size and checksum like the token files", "[data][token-cache]") {
    Scratch tmp;
    const fs::path dir = tmp.root / "c";
    fs::create_directories(dir);
    const std::string model = "a tokenizer model stand-in";
    write_bytes(dir / "tokenizer.model", model);
    TokenArrays t;
    t.split[0] = {1, 2, 3}, t.split[1] = {4, 5}, t.split[2] = {6};
    write_token_cache(dir.string(), t, 8, {{"tokenizer", "sentencepiece"}});
    const json meta = json::parse(slurp(dir / "meta.json"));
    CHECK(meta["files"]["tokenizer.model"]["bytes"] == model.size());
    CHECK(meta["files"]["tokenizer.model"]["fnv1a64"] == fmt::format("{:016x}", fnv1a64(model)));
    TokenCacheRead ok = read_token_cache(dir.string());
    CHECK(ok.problem.empty());
    CHECK(ok.tokens.split[1] == std::vector<int32_t>{4, 5});

    std::string altered = model;
    altered[0] = 'A';
    write_bytes(dir / "tokenizer.model", altered);
    CHECK_THAT(read_token_cache(dir.string()).problem, Catch::StartsWith((dir / "tokenizer.model").string() + ": checksum"));
    write_bytes(dir / "tokenizer.model", model.substr(0, 5));
    CHECK(read_token_cache(dir.string()).problem == fmt::format("{}: 5 bytes, meta.json says {}", (dir / "tokenizer.model").string(), model.size()));
    fs::remove(dir / "tokenizer.model");
    CHECK(read_token_cache(dir.string()).problem == (dir / "tokenizer.model").string() + ": missing or unreadable");

    // A SentencePiece cache whose meta.json does not record the model is not trusted either.
    json no_model = meta;
    no_model["files"].erase("tokenizer.model");
    write_bytes(dir / "meta.json", no_model.dump());
    CHECK_THAT(read_token_cache(dir.string()).problem, Catch::Contains("no entry for tokenizer.model"));
}
