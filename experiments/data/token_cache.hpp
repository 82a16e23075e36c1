// The on-disk token cache folder: train.bin / valid.bin / test.bin (token ids
// as 32-bit little-endian integers) and, for SentencePiece, tokenizer.model,
// described by meta.json with each file's size and FNV-1a 64 checksum. A file
// that does not match its meta.json is never trusted (see docs/data.md).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace altup {

// meta.json's "format": 2 added the per-file sizes and checksums.
inline constexpr int kTokenCacheFormat = 2;
inline constexpr const char* kTokenDtype = "int32le";
inline constexpr const char* kSplitFiles[3] = {"train.bin", "valid.bin", "test.bin"};
inline constexpr const char* kTokenizerModelFile = "tokenizer.model";

struct TokenArrays {
    std::vector<int32_t> split[3];  // train, valid, test
};

// Writes the three arrays into `dir` (which must exist), then meta.json (last):
// `settings` (corpus, tokenizer, documents, ...) plus vocab_size, format,
// dtype, token counts and, per file, bytes and checksum; tokenizer.model is
// recorded when it is already in `dir`. Every file is written atomically.
// Throws std::runtime_error naming the file on failure or on an id outside
// [0, vocab_size).
void write_token_cache(const std::string& dir, const TokenArrays& tokens, int vocab_size, nlohmann::json settings);

struct TokenCacheRead {
    TokenArrays tokens;
    int vocab_size = 0;
    // Non-empty when the folder does not match its meta.json (missing or torn
    // file, wrong size, count or checksum, no checksums from an older altup):
    // "<dir>/<file>: <what is wrong>". The cache must be rebuilt, not used.
    std::string problem;
};

// Reads the cache in `dir` and checks every file against meta.json. Token ids
// outside [0, vocab_size) in a file that matches its checksum throw
// std::runtime_error naming the file and the first bad position (the file was
// written that way, so rebuilding in place would not be a fix).
TokenCacheRead read_token_cache(const std::string& dir);

}  // namespace altup
