// Scores for the downstream tasks: accuracy, macro-F1 and the baselines a
// reader needs to judge them (majority class; most frequent tag per word).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace altup {

struct ClassificationScores {
    double accuracy = 0;
    double macro_f1 = 0;  // mean F1 over the classes present in gold or predictions
    int64_t count = 0;
};
// gold and pred of equal length, classes in [0, classes).
ClassificationScores score_predictions(const std::vector<int32_t>& gold, const std::vector<int32_t>& pred, int classes);

// The most frequent label (ties: the smallest index); labels of -100 are skipped.
int32_t majority_class(const std::vector<int32_t>& labels, int classes);

// Predicts each word's most frequent tag in the training words (unseen words:
// the overall majority tag) and returns the predictions for `words`.
std::vector<int32_t> word_majority_predictions(const std::vector<std::string>& train_words,
                                               const std::vector<int32_t>& train_tags,
                                               const std::vector<std::string>& words, int classes);

}  // namespace altup
