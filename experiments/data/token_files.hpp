// Pre-tokenized input (data.corpus: tokens): a folder with nanoGPT-style
// train.bin and val.bin (and optionally test.bin), each a flat array of
// little-endian token ids, uint16 or uint32 (data.token_dtype), with the
// vocabulary size given by model.vocab. Every file is checked whole before
// training starts (docs/data.md, "Pre-tokenized token files").
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "experiments/config/choices.hpp"

namespace altup {

inline constexpr const char* kTokenFileNames[3] = {"train.bin", "val.bin", "test.bin"};

// Bytes per id: uint16 -> 2, uint32 -> 4.
size_t token_dtype_size(TokenDtype dtype);

// The ids of one file. Throws std::runtime_error naming the file when it is
// missing, empty, not a whole number of ids, or holds an id >= vocab_size
// (naming the first such id and its position).
std::vector<int32_t> read_token_file(const std::string& path, TokenDtype dtype, int vocab_size);

struct TokenFileSplits {
    std::vector<int32_t> split[3];  // train, valid, test
    bool test_is_valid = false;     // no test.bin: the validation ids serve as test too
};
// train.bin and val.bin from `dir` (test.bin when present). Throws as read_token_file.
TokenFileSplits read_token_files(const std::string& dir, TokenDtype dtype, int vocab_size);

}  // namespace altup
