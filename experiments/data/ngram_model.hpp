// Count-based n-gram language models (unigram, bigram, trigram) over token
// ids: the sanity floors a neural model should beat (docs/analysis.md,
// "Reference floors").
//
// Order 1 is the add-one unigram, P(w) = (c(w) + 1) / (N + V).
// Orders 2 and 3 are interpolated Kneser-Ney with one fixed discount D
// (Chen & Goodman's interpolated KN; D = 0.75 by default):
//
//   P_k(w | h) = (max(c_k(h w) - D, 0) + D * N1+(h .) * P_{k-1}(w | h')) / c_k(h .)
//
// where h' is h without its first token, c_k are raw counts at the top order
// and continuation counts (the number of distinct tokens seen before h w) at
// the lower orders, N1+(h .) is the number of distinct w with c_k(h w) > 0,
// and the lowest order interpolates the continuation unigram with the uniform
// distribution over the V ids. A context never seen at some order hands all
// its mass to the order below.
//
// A context shorter than order - 1 (the first positions of an evaluation
// window, which cannot look before the window's start) is scored by the model
// of the order it can fill: the trigram model at position 0 predicts exactly
// as the bigram model does (raw bigram counts on top).
#pragma once
#include <cstdint>
#include <vector>

namespace altup {

class NgramModel {
public:
    // Counts every n-gram (n <= order) of `train`, a single stream; ids must be
    // in [0, vocab), vocab at most 2^21 and 0 < discount < 1. Throws
    // std::invalid_argument otherwise.
    NgramModel(const std::vector<int32_t>& train, int order, int vocab, double discount = 0.75);

    int order() const { return order_; }
    int vocab() const { return vocab_; }
    double discount() const { return discount_; }

    // P(w | context), the context being the `len` tokens before w (its last
    // order - 1 are used; fewer when len is smaller). Throws
    // std::invalid_argument for w outside [0, vocab).
    double prob(const int32_t* context, int len, int32_t w) const;

    // The most probable next token (the lowest id among equals, as the neural
    // evaluation's argmax picks). Exact: a token never seen after the context
    // scores D * N1+(h .) * P_lower(w) / c(h .), so the best of those is the
    // lower order's argmax; only the seen continuations and that one are scored.
    int32_t argmax(const int32_t* context, int len) const;

private:
    // The counts of one order k: contexts (k - 1 tokens, packed) sorted, each
    // with its continuations (sorted ids and their counts) in one flat range.
    struct Level {
        std::vector<uint64_t> contexts;
        std::vector<uint64_t> offsets;  // contexts.size() + 1
        std::vector<int32_t> words;
        std::vector<double> counts;
        std::vector<double> totals;  // sum of counts per context
        // argmax per context, filled on first use (-1 = not yet): a model is
        // therefore not to be shared between threads.
        mutable std::vector<int32_t> best;
        // order 1: one context, counts indexed by id.
        std::vector<double> unigram;
        double unigram_total = 0, unigram_types = 0;
        int32_t unigram_best = 0;
    };
    static Level build_level(std::vector<uint64_t> keys, int k, int vocab);

    const Level& level(int k, bool raw) const { return raw ? raw_[k - 1] : continuation_[k - 1]; }
    double level_prob(int k, bool raw, const int32_t* h, int32_t w) const;
    int32_t level_argmax(int k, bool raw, const int32_t* h) const;
    // Index of context h (k - 1 tokens) at a level, or -1.
    int64_t find_context(const Level& L, int k, const int32_t* h) const;

    int order_, vocab_;
    double discount_;
    std::vector<Level> raw_;           // orders 1..order, raw counts
    std::vector<Level> continuation_;  // orders 1..order-1, continuation counts
};

// Mean next-token cross-entropy (nats) and argmax accuracy over evaluation
// inputs/targets laid out as the trainer's evaluation sees them: `windows`
// rows of seq_len positions, position t predicting targets[t] from inputs[0..t]
// of its own row only.
struct NgramScore {
    double loss = 0, accuracy = 0;
    int64_t tokens = 0;
};
NgramScore score_windows(const NgramModel& model, const std::vector<int32_t>& inputs,
                         const std::vector<int32_t>& targets, int seq_len);

}  // namespace altup
