// Reference floors: the count-based n-gram models of ngram_model.hpp trained
// on a token cache's training split and scored on exactly the held-out
// windows a trial's evaluation scores (validation or test), so their loss and
// accuracy compare directly with result.json's quality.eval_loss and
// quality.token_accuracy, or with quality.test.
// Cached as JSON in the token cache folder (docs/analysis.md, "Reference floors").
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "experiments/data/dataset.hpp"

namespace altup {

// What the floors depend on besides the tokens: a trial's evaluation settings.
struct FloorSettings {
    int seq_len = 0;       // model.seq_len: window length
    int eval_batch = 0;    // eval.batch
    int eval_batches = 0;  // eval.batches (0 = the whole split)
    int vocab = 0;         // model.vocab: the ids the neural model predicts over (the uniform floor's 1/V)
    double discount = 0.75;  // Kneser-Ney's fixed discount D
    EvalSplit split = EvalSplit::valid;  // the windows scored: the trainer's evaluation or its final test
};

struct NgramFloor {
    int order = 0;
    std::string model;  // "unigram (add-one)", "bigram (interpolated KN)", ...
    double loss = 0, accuracy = 0;
};

struct NgramFloors {
    std::vector<NgramFloor> floors;  // orders 1, 2, 3
    int64_t train_tokens = 0, eval_tokens = 0;
    int64_t eval_windows = 0;
    std::string cache_file;  // where they are (or would have been) cached
    bool from_cache = false;
    std::string cache_note;  // why they could not be cached ("" when they were, or came from the cache)
};

// The floors themselves, no cache. Throws std::invalid_argument for bad
// settings (naming the config key) or a split shorter than one window.
// `held_out` is the split named by s.split (only its name is used here, in messages).
NgramFloors compute_ngram_floors(const std::vector<int32_t>& train, const std::vector<int32_t>& held_out, const FloorSettings& s);

// <token_dir>/ngram-floors-<hash of the settings>.json
std::string ngram_floors_path(const std::string& token_dir, const FloorSettings& s);

// From the cache file when it was computed from these very tokens (sizes and
// checksums of train.bin and of the scored split's file) and settings; otherwise computed and
// written there atomically. A cache folder that cannot be written is not an
// error: the floors are returned with cache_note saying why.
NgramFloors ngram_floors(const TokenSplits& data, const FloorSettings& s);

}  // namespace altup
