#include "experiments/data/ngram_model.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include <fmt/format.h>

namespace altup {
namespace {

// Up to three ids of at most 21 bits each in one 64-bit key, first id highest.
constexpr int kIdBits = 21;
constexpr uint64_t kIdMask = (uint64_t(1) << kIdBits) - 1;

uint64_t pack(const int32_t* ids, int n) {
    uint64_t key = 0;
    for (int i = 0; i < n; ++i) key = (key << kIdBits) | uint64_t(ids[i]);
    return key;
}

}  // namespace

NgramModel::Level NgramModel::build_level(std::vector<uint64_t> keys, int k, int vocab) {
    std::sort(keys.begin(), keys.end());
    Level L;
    if (k == 1) {
        L.unigram.assign(size_t(vocab), 0.0);
        for (uint64_t key : keys) L.unigram[key] += 1.0;
        L.unigram_total = double(keys.size());
        for (int32_t w = 0; w < vocab; ++w) {
            if (L.unigram[w] > 0) L.unigram_types += 1;
            if (L.unigram[w] > L.unigram[L.unigram_best]) L.unigram_best = w;
        }
        return L;
    }
    for (size_t i = 0; i < keys.size();) {
        size_t j = i;
        while (j < keys.size() && keys[j] == keys[i]) ++j;
        const uint64_t context = keys[i] >> kIdBits;
        if (L.contexts.empty() || L.contexts.back() != context) {
            L.contexts.push_back(context);
            L.offsets.push_back(L.words.size());
            L.totals.push_back(0.0);
        }
        L.words.push_back(int32_t(keys[i] & kIdMask));
        L.counts.push_back(double(j - i));
        L.totals.back() += double(j - i);
        i = j;
    }
    L.offsets.push_back(L.words.size());
    L.best.assign(L.contexts.size(), -1);
    return L;
}

NgramModel::NgramModel(const std::vector<int32_t>& train, int order, int vocab, double discount)
    : order_(order), vocab_(vocab), discount_(discount) {
    if (order < 1 || order > 3) throw std::invalid_argument(fmt::format("n-gram order {}: expected 1, 2 or 3", order));
    if (vocab < 1 || uint64_t(vocab) > kIdMask + 1)
        throw std::invalid_argument(fmt::format("n-gram vocabulary {}: expected 1 .. {}", vocab, kIdMask + 1));
    // D < 1 keeps every seen continuation above the unseen ones (c - D > 0), which the argmax relies on.
    if (!(discount > 0 && discount < 1))
        throw std::invalid_argument(fmt::format("Kneser-Ney discount {}: expected 0 < D < 1", discount));
    for (size_t i = 0; i < train.size(); ++i)
        if (train[i] < 0 || train[i] >= vocab)
            throw std::invalid_argument(
                fmt::format("training token {} at position {} is outside the vocabulary [0, {})", train[i], i, vocab));
    for (int k = 1; k <= order; ++k) {
        std::vector<uint64_t> keys;
        if (train.size() >= size_t(k)) {
            keys.reserve(train.size() - size_t(k) + 1);
            for (size_t i = 0; i + size_t(k) <= train.size(); ++i) keys.push_back(pack(&train[i], k));
        }
        raw_.push_back(build_level(std::move(keys), k, vocab));
    }
    // Continuation counts of order k: each distinct (k+1)-gram adds one to its last k tokens.
    for (int k = 1; k < order; ++k) {
        const Level& above = raw_[size_t(k)];
        std::vector<uint64_t> suffixes;
        suffixes.reserve(above.words.size());
        const uint64_t suffix_mask = (uint64_t(1) << (kIdBits * k)) - 1;
        for (size_t c = 0; c < above.contexts.size(); ++c)
            for (uint64_t i = above.offsets[c]; i < above.offsets[c + 1]; ++i)
                suffixes.push_back(((above.contexts[c] << kIdBits) | uint64_t(above.words[i])) & suffix_mask);
        continuation_.push_back(build_level(std::move(suffixes), k, vocab));
    }
}

int64_t NgramModel::find_context(const Level& L, int k, const int32_t* h) const {
    const uint64_t key = pack(h, k - 1);
    auto it = std::lower_bound(L.contexts.begin(), L.contexts.end(), key);
    return it != L.contexts.end() && *it == key ? int64_t(it - L.contexts.begin()) : -1;
}

double NgramModel::level_prob(int k, bool raw, const int32_t* h, int32_t w) const {
    const Level& L = level(k, raw);
    if (k == 1) {
        if (raw) return (L.unigram[w] + 1.0) / (L.unigram_total + double(vocab_));  // add-one
        if (L.unigram_total == 0) return 1.0 / double(vocab_);
        return (std::max(L.unigram[w] - discount_, 0.0) + discount_ * L.unigram_types / double(vocab_)) / L.unigram_total;
    }
    const double lower = level_prob(k - 1, false, h + 1, w);
    const int64_t c = find_context(L, k, h);
    if (c < 0) return lower;
    const auto first = L.words.begin() + int64_t(L.offsets[c]), last = L.words.begin() + int64_t(L.offsets[c + 1]);
    const auto it = std::lower_bound(first, last, w);
    const double count = it != last && *it == w ? L.counts[size_t(it - L.words.begin())] : 0.0;
    const double types = double(last - first);
    return (std::max(count - discount_, 0.0) + discount_ * types * lower) / L.totals[size_t(c)];
}

int32_t NgramModel::level_argmax(int k, bool raw, const int32_t* h) const {
    const Level& L = level(k, raw);
    if (k == 1) return L.unigram_best;  // P is increasing in the count at order 1, raw or continuation
    const int64_t c = find_context(L, k, h);
    if (c < 0) return level_argmax(k - 1, false, h + 1);
    int32_t& memo = L.best[size_t(c)];
    if (memo >= 0) return memo;
    int32_t best = level_argmax(k - 1, false, h + 1);
    double best_p = level_prob(k, raw, h, best);
    for (uint64_t i = L.offsets[c]; i < L.offsets[c + 1]; ++i) {
        const int32_t w = L.words[i];
        const double p = level_prob(k, raw, h, w);
        if (p > best_p || (p == best_p && w < best)) {
            best = w;
            best_p = p;
        }
    }
    return memo = best;
}

double NgramModel::prob(const int32_t* context, int len, int32_t w) const {
    if (w < 0 || w >= vocab_) throw std::invalid_argument(fmt::format("token {} is outside the vocabulary [0, {})", w, vocab_));
    const int used = std::min(std::max(len, 0), order_ - 1);
    return level_prob(used + 1, true, context + (len - used), w);
}

int32_t NgramModel::argmax(const int32_t* context, int len) const {
    const int used = std::min(std::max(len, 0), order_ - 1);
    return level_argmax(used + 1, true, context + (len - used));
}

NgramScore score_windows(const NgramModel& model, const std::vector<int32_t>& inputs,
                         const std::vector<int32_t>& targets, int seq_len) {
    if (seq_len < 1 || inputs.size() != targets.size() || inputs.size() % size_t(seq_len) != 0)
        throw std::invalid_argument("score_windows: inputs and targets must be whole windows of seq_len tokens");
    NgramScore s;
    double loss_sum = 0;
    int64_t correct = 0;
    for (size_t row = 0; row < inputs.size(); row += size_t(seq_len))
        for (int t = 0; t < seq_len; ++t) {
            const int32_t* context = &inputs[row];  // the window's own tokens up to position t
            const int32_t target = targets[row + size_t(t)];
            loss_sum -= std::log(model.prob(context, t + 1, target));
            correct += model.argmax(context, t + 1) == target;
        }
    s.tokens = int64_t(inputs.size());
    s.loss = s.tokens ? loss_sum / double(s.tokens) : 0.0;
    s.accuracy = s.tokens ? double(correct) / double(s.tokens) : 0.0;
    return s;
}

}  // namespace altup
