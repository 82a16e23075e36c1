#include "experiments/data/sword_module.hpp"

#include <zlib.h>

#include <cstdint>
#include <fstream>
#include <stdexcept>

#include <fmt/format.h>

namespace altup {

namespace {
std::string read_all(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error(path + ": cannot read the SWORD module file");
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}
uint32_t le32(const std::string& s, size_t at) {
    return uint32_t(uint8_t(s[at])) | uint32_t(uint8_t(s[at + 1])) << 8 | uint32_t(uint8_t(s[at + 2])) << 16 | uint32_t(uint8_t(s[at + 3])) << 24;
}
}  // namespace

std::vector<std::string> read_sword_blocks(const std::string& index) {
    // Each index entry: offset, compressed size, uncompressed size (little-endian u32).
    const std::string idx = read_all(index);
    const std::string data_path = index.substr(0, index.size() - 1) + "z";
    const std::string data = read_all(data_path);
    if (idx.size() % 12 != 0) throw std::runtime_error(fmt::format("{}: {} bytes is not a whole number of 12-byte block entries", index, idx.size()));
    std::vector<std::string> blocks;
    for (size_t e = 0; e < idx.size(); e += 12) {
        const uint32_t offset = le32(idx, e), size = le32(idx, e + 4), usize = le32(idx, e + 8);
        if (size == 0) continue;
        if (uint64_t(offset) + size > data.size())
            throw std::runtime_error(fmt::format("{}: block {} lies past the end of {} ({} bytes)", index, e / 12, data_path, data.size()));
        std::string out(usize, '\0');
        uLongf got = usize;
        const int rc = uncompress(reinterpret_cast<Bytef*>(out.data()), &got, reinterpret_cast<const Bytef*>(data.data() + offset), size);
        if (rc != Z_OK || got != usize)
            throw std::runtime_error(fmt::format("{}: block {} does not decompress to its recorded {} bytes (zlib {})", data_path, e / 12, usize, rc));
        // Blocks may end in NUL padding.
        while (!out.empty() && out.back() == '\0') out.pop_back();
        blocks.push_back(std::move(out));
    }
    return blocks;
}

}  // namespace altup
