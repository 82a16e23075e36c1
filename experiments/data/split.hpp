// Train / validation / test split by document, stratified over genres and
// deterministic: no seed, so every trial and every sweep sees the same split.
#pragma once
#include <vector>

#include "experiments/data/corpus.hpp"

namespace altup {

enum class Split { train, valid, test };

// One Split per document. Within each genre, documents are ordered by a hash
// of their id and the first round(n * test) (at least 1 when n >= 3) go to test,
// the next round(n * valid) (at least 1) to validation, the rest to training.
std::vector<Split> split_documents(const std::vector<Document>& docs, double valid, double test);

}  // namespace altup
