// Held-out evaluation: mean next-token cross-entropy, perplexity and
// next-token accuracy over deterministic, non-overlapping windows of a split.
#pragma once
#include <cstdint>
#include <vector>

#include "layers/model.hpp"

namespace altup {

struct EvalResult {
    double loss = 0, perplexity = 0, accuracy = 0;
    double tokens_per_s = 0;  // inference throughput (forward only)
    int64_t tokens = 0;
};

// Windows 0.. of `stream` (each seq_len+1 tokens, stride seq_len), `batch` at a
// time, at most max_batches batches (0 = the whole split). No gradients.
EvalResult evaluate(LanguageModel& model, const std::vector<int32_t>& stream, int seq_len, int batch, int max_batches);

}  // namespace altup
