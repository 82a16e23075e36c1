// Token streams for training and evaluation, prepared once per corpus and
// tokenizer setting and cached on disk; batches drawn from them.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/rng.hpp"
#include "experiments/config/config.hpp"

namespace altup {

struct TokenSplits {
    std::vector<int32_t> train, valid, test;  // documents concatenated, end-of-document tokens between them
    int vocab_size = 0;                       // the tokenizer's
    std::string cache_key;                    // hash of corpus version + tokenizer + split settings
    std::string cache_dir;                    // where the arrays (and the tokenizer model) live
    std::string rebuilt_because;              // why the cache was rebuilt ("" when reused or new), also printed
};

// The held-out split a quality number is measured on: validation (what a study
// chooses by) or test (what it reports, chosen by nothing).
enum class EvalSplit { valid, test };
inline const char* split_name(EvalSplit s) { return s == EvalSplit::valid ? "valid" : "test"; }
inline const std::vector<int32_t>& held_out(const TokenSplits& d, EvalSplit s) {
    return s == EvalSplit::valid ? d.valid : d.test;
}

// The cache folder: cfg.cache_dir, else $ALTUP_DATA_DIR, else ./data-cache.
std::string data_cache_dir(const DataConfig& cfg);
std::string token_cache_key(const DataConfig& cfg, int vocab_size);
// <data_cache_dir>/tokens-<token_cache_key>: where a setting's arrays live.
std::string token_cache_folder(const DataConfig& cfg, int vocab_size);

// Loads the token arrays from the cache or prepares them (fetch the corpus,
// split by document, train the tokenizer on the training split, encode).
// Concurrent callers wait on a lock; the arrays appear atomically. A cache
// that does not match its meta.json (token_cache.hpp) is rebuilt with a
// one-line message on stderr. Throws std::runtime_error with a clear message
// on any failure, and on token ids outside the vocabulary.
TokenSplits prepare_token_splits(const DataConfig& cfg, int vocab_size, bool quiet);
// The token arrays when they are already prepared, nullopt when their folder
// has no meta.json yet; never prepares anything (analysis reads them this way).
// Throws std::runtime_error naming the file when they do not match meta.json.
std::optional<TokenSplits> load_token_splits(const DataConfig& cfg, int vocab_size);

// `batch` random windows of seq_len+1 tokens: inputs = the first seq_len,
// targets = the last seq_len. Window starts come from rng (uniform).
void sample_batch(const std::vector<int32_t>& stream, int batch, int seq_len, Rng& rng, int32_t* inputs, int32_t* targets);

// Deterministic evaluation windows: window w covers tokens [w*seq_len, w*seq_len + seq_len].
size_t eval_window_count(const std::vector<int32_t>& stream, int seq_len);
void eval_windows(const std::vector<int32_t>& stream, int seq_len, size_t first, size_t count, int32_t* inputs, int32_t* targets);
// How many of a split's `windows` one evaluation scores: all of them when
// max_batches is 0, else at most max_batches batches of `batch`.
size_t eval_window_budget(size_t windows, int batch, int max_batches);

}  // namespace altup
