#include "experiments/data/token_cache.hpp"

#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <stdexcept>

#include <fmt/format.h>

#include "util/atomic_file.hpp"
#include "util/hash.hpp"

namespace altup {
namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

std::string checksum_hex(std::string_view bytes) { return fmt::format("{:016x}", fnv1a64(bytes)); }

// The whole file, or nullopt when it cannot be opened (an empty file is "").
std::optional<std::string> read_bytes(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return std::nullopt;
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (in.bad()) return std::nullopt;
    return bytes;
}

// "" when every id is in [0, vocab), else the message naming file and position.
std::string first_bad_id(const std::string& path, const std::vector<int32_t>& ids, int vocab) {
    for (size_t i = 0; i < ids.size(); ++i)
        if (ids[i] < 0 || ids[i] >= vocab)
            return fmt::format("token cache {}: token id {} at position {} is outside the vocabulary [0, {})", path, ids[i], i, vocab);
    return "";
}

// Checks one file against its meta.json entry; returns the problem or "".
// `bytes` receives the contents when they match.
std::string check_file(const fs::path& path, const json& entry, bool has_tokens, std::string& bytes) {
    const std::optional<std::string> got = read_bytes(path);
    if (!got) return fmt::format("{}: missing or unreadable", path.string());
    const auto expected_bytes = entry.at("bytes").get<uint64_t>();
    if (has_tokens) {
        const auto expected_tokens = entry.at("tokens").get<uint64_t>();
        if (expected_bytes != expected_tokens * sizeof(int32_t))
            return fmt::format("{}: meta.json says {} bytes for {} tokens", path.string(), expected_bytes, expected_tokens);
        if (got->size() % sizeof(int32_t) != 0 || got->size() != expected_bytes)
            return got->size() % sizeof(int32_t) != 0
                       ? fmt::format("{}: {} bytes, meta.json says {} ({} tokens)", path.string(), got->size(), expected_bytes, expected_tokens)
                       : fmt::format("{}: {} tokens ({} bytes), meta.json says {} tokens ({} bytes)", path.string(),
                                     got->size() / sizeof(int32_t), got->size(), expected_tokens, expected_bytes);
    } else if (got->size() != expected_bytes) {
        return fmt::format("{}: {} bytes, meta.json says {}", path.string(), got->size(), expected_bytes);
    }
    const std::string sum = checksum_hex(*got), expected_sum = entry.at("fnv1a64").get<std::string>();
    if (sum != expected_sum)
        return fmt::format("{}: checksum {} but meta.json says {} (same size, other contents)", path.string(), sum, expected_sum);
    bytes = std::move(*got);
    return "";
}

}  // namespace

void write_token_cache(const std::string& dir, const TokenArrays& tokens, int vocab_size, json settings) {
    json files = json::object();
    json counts = json::array();
    for (int k = 0; k < 3; ++k)
        if (const std::string bad = first_bad_id((fs::path(dir) / kSplitFiles[k]).string(), tokens.split[k], vocab_size); !bad.empty())
            throw std::runtime_error(bad + ": refusing to write it");
    for (int k = 0; k < 3; ++k) {
        const fs::path path = fs::path(dir) / kSplitFiles[k];
        const std::vector<int32_t>& ids = tokens.split[k];
        const std::string_view bytes(reinterpret_cast<const char*>(ids.data()), ids.size() * sizeof(int32_t));
        write_file_atomically(path.string(), [&](std::ostream& out) { out.write(bytes.data(), std::streamsize(bytes.size())); });
        files[kSplitFiles[k]] = {{"tokens", ids.size()}, {"bytes", bytes.size()}, {"fnv1a64", checksum_hex(bytes)}};
        counts.push_back(ids.size());
    }
    const fs::path model = fs::path(dir) / kTokenizerModelFile;
    if (fs::exists(model)) {
        const std::optional<std::string> bytes = read_bytes(model);
        if (!bytes) throw std::runtime_error(model.string() + ": cannot read the tokenizer model to record its checksum");
        files[kTokenizerModelFile] = {{"bytes", bytes->size()}, {"fnv1a64", checksum_hex(*bytes)}};
    }
    settings["format"] = kTokenCacheFormat;
    settings["vocab_size"] = vocab_size;
    settings["dtype"] = kTokenDtype;
    settings["tokens"] = counts;
    settings["files"] = files;
    write_file_atomically((fs::path(dir) / "meta.json").string(), settings.dump(2) + "\n");
}

TokenCacheRead read_token_cache(const std::string& dir) {
    TokenCacheRead r;
    const fs::path meta_path = fs::path(dir) / "meta.json";
    json meta;
    try {
        meta = json::parse(std::ifstream(meta_path));
    } catch (const std::exception& e) {
        r.problem = fmt::format("{}: not valid JSON ({})", meta_path.string(), e.what());
        return r;
    }
    try {
        const int format = meta.value("format", 0);
        if (format < kTokenCacheFormat || !meta.contains("files")) {
            r.problem = fmt::format("{}: format {} has no file sizes or checksums (written by an older altup)", meta_path.string(), format);
            return r;
        }
        if (format > kTokenCacheFormat) {
            r.problem = fmt::format("{}: format {} is newer than this altup reads ({})", meta_path.string(), format, kTokenCacheFormat);
            return r;
        }
        if (meta.at("dtype").get<std::string>() != kTokenDtype) {
            r.problem = fmt::format("{}: dtype {}, expected {}", meta_path.string(), meta.at("dtype").dump(), kTokenDtype);
            return r;
        }
        r.vocab_size = meta.at("vocab_size").get<int>();
        const json& files = meta.at("files");
        for (int k = 0; k < 3; ++k) {
            const fs::path path = fs::path(dir) / kSplitFiles[k];
            std::string bytes;
            r.problem = check_file(path, files.at(kSplitFiles[k]), true, bytes);
            if (!r.problem.empty()) return r;
            if (meta.at("tokens").at(k).get<uint64_t>() != bytes.size() / sizeof(int32_t)) {
                r.problem = fmt::format("{}: meta.json's \"tokens\" says {}, its \"files\" entry {}", path.string(),
                                        meta.at("tokens").at(k).get<uint64_t>(), bytes.size() / sizeof(int32_t));
                return r;
            }
            std::vector<int32_t>& ids = r.tokens.split[k];
            ids.resize(bytes.size() / sizeof(int32_t));
            if (!bytes.empty()) std::memcpy(ids.data(), bytes.data(), bytes.size());
            if (const std::string bad = first_bad_id(path.string(), ids, r.vocab_size); !bad.empty())
                throw std::runtime_error(bad + fmt::format(" (meta.json vocab_size); the file matches its checksum, so it was "
                                                           "written this way: delete {} to rebuild the cache", dir));
        }
        const bool sentencepiece = meta.value("tokenizer", "") == "sentencepiece";
        if (sentencepiece && !files.contains(kTokenizerModelFile)) {
            r.problem = fmt::format("{}: no entry for {}", meta_path.string(), kTokenizerModelFile);
            return r;
        }
        if (files.contains(kTokenizerModelFile)) {
            std::string bytes;
            r.problem = check_file(fs::path(dir) / kTokenizerModelFile, files.at(kTokenizerModelFile), false, bytes);
            if (!r.problem.empty()) return r;
        }
    } catch (const json::exception& e) {  // a field missing or of the wrong type
        r.problem = fmt::format("{}: {}", meta_path.string(), e.what());
        r.tokens = TokenArrays{};
    }
    return r;
}

}  // namespace altup
