#include "experiments/data/token_files.hpp"

#include <filesystem>
#include <fstream>
#include <stdexcept>

#include <fmt/format.h>

namespace altup {
namespace fs = std::filesystem;

size_t token_dtype_size(TokenDtype dtype) { return dtype == TokenDtype::uint16 ? 2 : 4; }

std::vector<int32_t> read_token_file(const std::string& path, TokenDtype dtype, int vocab_size) {
    const size_t width = token_dtype_size(dtype);
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error(fmt::format("token file {}: missing or unreadable (data.path must hold train.bin and val.bin)", path));
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (in.bad()) throw std::runtime_error(fmt::format("token file {}: read error", path));
    if (bytes.empty()) throw std::runtime_error(fmt::format("token file {}: empty, expected {} ids", path, to_string(dtype)));
    if (bytes.size() % width != 0)
        throw std::runtime_error(fmt::format("token file {}: {} bytes is not a whole number of {}-byte ids (data.token_dtype: {}); "
                                             "the file is truncated or the dtype is wrong (uint16 or uint32)",
                                             path, bytes.size(), width, to_string(dtype)));
    std::vector<int32_t> ids(bytes.size() / width);
    const auto* b = reinterpret_cast<const unsigned char*>(bytes.data());
    for (size_t i = 0; i < ids.size(); ++i) {
        const unsigned char* p = b + i * width;
        // Little-endian, as numpy's tofile() writes on the machines nanoGPT runs on.
        const uint32_t v = width == 2 ? uint32_t(p[0]) | uint32_t(p[1]) << 8
                                      : uint32_t(p[0]) | uint32_t(p[1]) << 8 | uint32_t(p[2]) << 16 | uint32_t(p[3]) << 24;
        if (v >= uint32_t(vocab_size))
            throw std::runtime_error(fmt::format("token file {}: token id {} at position {} is outside the vocabulary [0, {}) "
                                                 "(model.vocab); set model.vocab to the tokenizer's size, or check data.token_dtype",
                                                 path, v, i, vocab_size));
        ids[i] = int32_t(v);
    }
    return ids;
}

TokenFileSplits read_token_files(const std::string& dir, TokenDtype dtype, int vocab_size) {
    TokenFileSplits s;
    for (int k = 0; k < 2; ++k) s.split[k] = read_token_file((fs::path(dir) / kTokenFileNames[k]).string(), dtype, vocab_size);
    const fs::path test = fs::path(dir) / kTokenFileNames[2];
    if (fs::exists(test)) {
        s.split[2] = read_token_file(test.string(), dtype, vocab_size);
    } else {
        s.split[2] = s.split[1];
        s.test_is_valid = true;
    }
    return s;
}

}  // namespace altup
