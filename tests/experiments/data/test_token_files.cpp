// Pre-tokenized nanoGPT-style token files (data.corpus: tokens): ids read
// back as written, and every malformed file refused naming file and position.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <vector>

#include "experiments/config/config_io.hpp"
#include "experiments/data/dataset.hpp"
#include "experiments/data/token_files.hpp"

using namespace altup;
namespace fs = std::filesystem;

namespace {
struct Scratch {
    fs::path root = fs::temp_directory_path() / ("altup-token-files-" + std::to_string(::getpid()));
    Scratch() { fs::create_directories(root); }
    ~Scratch() {
        std::error_code ec;
        fs::remove_all(root, ec);
    }
};

// Little-endian bytes of each id at `width` bytes, written by hand (not by the code under test).
void write_ids(const fs::path& p, const std::vector<uint32_t>& ids, int width) {
    std::string bytes;
    for (uint32_t v : ids)
        for (int b = 0; b < width; ++b) bytes.push_back(char((v >> (8 * b)) & 0xFF));
    std::ofstream(p, std::ios::binary | std::ios::trunc) << bytes;
}
Config parse(const std::string& yaml, const std::string& source) { return parse_config(YAML::Load(yaml), source); }
void write_raw(const fs::path& p, const std::string& bytes) { std::ofstream(p, std::ios::binary | std::ios::trunc) << bytes; }
}  // namespace

TEST_CASE("uint16 and uint32 token files read back the ids written", "[data][token-files]") {
    Scratch tmp;
    write_ids(tmp.root / "a16.bin", {0, 1, 258, 65535}, 2);
    CHECK(read_token_file((tmp.root / "a16.bin").string(), TokenDtype::uint16, 65536) == std::vector<int32_t>{0, 1, 258, 65535});
    write_ids(tmp.root / "a32.bin", {70000, 3, 16777216}, 4);
    CHECK(read_token_file((tmp.root / "a32.bin").string(), TokenDtype::uint32, 16777217) == std::vector<int32_t>{70000, 3, 16777216});
    // The same four bytes 01 00 02 00 are two uint16 ids or one uint32 id.
    write_raw(tmp.root / "four.bin", std::string("\x01\x00\x02\x00", 4));
    CHECK(read_token_file((tmp.root / "four.bin").string(), TokenDtype::uint16, 10) == std::vector<int32_t>{1, 2});
    CHECK(read_token_file((tmp.root / "four.bin").string(), TokenDtype::uint32, 200000) == std::vector<int32_t>{0x00020001});
}

TEST_CASE("a token file of the wrong size, empty, missing or with an id outside the vocabulary is refused", "[data][token-files]") {
    Scratch tmp;
    const std::string odd = (tmp.root / "odd.bin").string();
    write_raw(odd, std::string("\x01\x00\x02", 3));
    CHECK_THROWS_WITH(read_token_file(odd, TokenDtype::uint16, 10),
                      Catch::Contains("token file " + odd + ": 3 bytes is not a whole number of 2-byte ids") && Catch::Contains("uint16 or uint32"));
    write_ids(odd, {1, 2, 3}, 2);  // 6 bytes: whole uint16 ids, not whole uint32 ones
    CHECK_THROWS_WITH(read_token_file(odd, TokenDtype::uint32, 10), Catch::Contains("6 bytes is not a whole number of 4-byte ids"));

    const std::string big = (tmp.root / "big.bin").string();
    write_ids(big, {4, 2, 9, 1}, 2);
    CHECK_THROWS_WITH(read_token_file(big, TokenDtype::uint16, 9),
                      Catch::Contains("token file " + big + ": token id 9 at position 2 is outside the vocabulary [0, 9)") &&
                          Catch::Contains("model.vocab"));
    CHECK(read_token_file(big, TokenDtype::uint16, 10).size() == 4);

    const std::string empty = (tmp.root / "empty.bin").string();
    write_raw(empty, "");
    CHECK_THROWS_WITH(read_token_file(empty, TokenDtype::uint16, 10), Catch::Contains("token file " + empty + ": empty"));
    CHECK_THROWS_WITH(read_token_file((tmp.root / "none.bin").string(), TokenDtype::uint16, 10), Catch::Contains("none.bin: missing"));
}

TEST_CASE("a token folder becomes the train, valid and test splits - without test.bin the test split is val.bin", "[data][token-files]") {
    Scratch tmp;
    const fs::path dir = tmp.root / "toks";
    fs::create_directories(dir);
    write_ids(dir / "train.bin", {1, 2, 3, 4, 5, 6, 7, 8}, 2);
    write_ids(dir / "val.bin", {8, 7, 6}, 2);
    DataConfig cfg;
    cfg.corpus = CorpusKind::tokens;
    cfg.path = dir.string();
    cfg.cache_dir = (tmp.root / "cache").string();
    const TokenSplits s = prepare_token_splits(cfg, 9, true);
    CHECK(s.train == std::vector<int32_t>{1, 2, 3, 4, 5, 6, 7, 8});
    CHECK(s.valid == std::vector<int32_t>{8, 7, 6});
    CHECK(s.test == s.valid);
    CHECK(s.vocab_size == 9);
    CHECK(load_token_splits(cfg, 9)->train == s.train);
    const std::string key = s.cache_key;

    write_ids(dir / "test.bin", {5, 5}, 2);
    const TokenSplits t = prepare_token_splits(cfg, 9, true);
    CHECK(t.test == std::vector<int32_t>{5, 5});
    CHECK(t.cache_key != key);  // the files are part of the key

    // An id past model.vocab stops before any training, naming the file and the first such position.
    CHECK_THROWS_WITH(prepare_token_splits(cfg, 8, true), Catch::Contains((dir / "train.bin").string() + ": token id 8 at position 7"));
    cfg.token_dtype = TokenDtype::uint32;  // 16 bytes of train.bin are 4 uint32 ids; val.bin's 6 bytes are not whole
    CHECK_THROWS_WITH(prepare_token_splits(cfg, 1 << 20, true), Catch::Contains("val.bin: 6 bytes is not a whole number of 4-byte ids"));
}

TEST_CASE("data.corpus tokens needs data.path to be a folder - data.token_dtype takes uint16 or uint32", "[data][token-files][config]") {
    Scratch tmp;
    CHECK_THROWS_WITH(parse("data:\n  corpus: tokens\n", "t.yaml"),
                      Catch::Contains("data.corpus: corpus \"tokens\" needs data.path (a folder with train.bin and val.bin)"));
    CHECK_THROWS_WITH(parse("data:\n  corpus: tokens\n  path: /nonexistent/toks\n", "t.yaml"),
                      Catch::Contains("t.yaml:3:3: data.path: expected a folder with train.bin and val.bin"));
    CHECK_THROWS_WITH(parse("data:\n  token_dtype: int8\n", "t.yaml"),
                      Catch::Contains("data.token_dtype: expected one of uint16 or uint32, got \"int8\""));
    const Config c = parse("data:\n  corpus: tokens\n  path: " + tmp.root.string() + "\n  token_dtype: uint32\n", "t.yaml");
    CHECK(c.data.token_dtype == TokenDtype::uint32);
}
