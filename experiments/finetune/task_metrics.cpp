#include "experiments/finetune/task_metrics.hpp"

#include <stdexcept>
#include <unordered_map>

namespace altup {

ClassificationScores score_predictions(const std::vector<int32_t>& gold, const std::vector<int32_t>& pred, int classes) {
    if (gold.size() != pred.size()) throw std::invalid_argument("score_predictions: gold and predictions differ in length");
    std::vector<int64_t> tp(classes), fp(classes), fn(classes);
    int64_t correct = 0;
    for (size_t i = 0; i < gold.size(); ++i) {
        if (gold[i] == pred[i]) {
            ++correct;
            ++tp[gold[i]];
        } else {
            ++fn[gold[i]];
            ++fp[pred[i]];
        }
    }
    ClassificationScores s;
    s.count = int64_t(gold.size());
    s.accuracy = gold.empty() ? 0.0 : double(correct) / double(gold.size());
    double f1_sum = 0;
    int present = 0;
    for (int c = 0; c < classes; ++c) {
        if (tp[c] + fp[c] + fn[c] == 0) continue;  // neither in gold nor predicted
        f1_sum += 2.0 * double(tp[c]) / double(2 * tp[c] + fp[c] + fn[c]);
        ++present;
    }
    s.macro_f1 = present ? f1_sum / present : 0.0;
    return s;
}

int32_t majority_class(const std::vector<int32_t>& labels, int classes) {
    std::vector<int64_t> n(classes);
    for (int32_t l : labels)
        if (l >= 0) ++n[l];
    int32_t best = 0;
    for (int c = 1; c < classes; ++c)
        if (n[c] > n[best]) best = c;
    return best;
}

std::vector<int32_t> word_majority_predictions(const std::vector<std::string>& train_words,
                                               const std::vector<int32_t>& train_tags,
                                               const std::vector<std::string>& words, int classes) {
    if (train_words.size() != train_tags.size()) throw std::invalid_argument("word_majority_predictions: words and tags differ in length");
    std::unordered_map<std::string, std::vector<int64_t>> counts;
    for (size_t i = 0; i < train_words.size(); ++i) {
        auto& c = counts[train_words[i]];
        if (c.empty()) c.resize(classes);
        ++c[train_tags[i]];
    }
    const int32_t fallback = majority_class(train_tags, classes);
    std::vector<int32_t> out;
    out.reserve(words.size());
    for (const auto& w : words) {
        auto it = counts.find(w);
        if (it == counts.end()) {
            out.push_back(fallback);
            continue;
        }
        int32_t best = 0;
        for (int c = 1; c < classes; ++c)
            if (it->second[c] > it->second[best]) best = c;
        out.push_back(best);
    }
    return out;
}

}  // namespace altup
