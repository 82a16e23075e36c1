#include "experiments/data/split.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <map>

#include "util/hash.hpp"

namespace altup {

std::vector<Split> split_documents(const std::vector<Document>& docs, double valid, double test) {
    std::map<char, std::vector<size_t>> by_genre;
    for (size_t i = 0; i < docs.size(); ++i) by_genre[docs[i].genre].push_back(i);
    std::vector<Split> out(docs.size(), Split::train);
    for (auto& [genre, idx] : by_genre) {
        // A fixed hash order rather than file order, so a split takes documents from all over the genre.
        std::sort(idx.begin(), idx.end(), [&](size_t a, size_t b) { return fnv1a64(docs[a].id) < fnv1a64(docs[b].id); });
        const size_t n = idx.size();
        const size_t floor_each = n >= 3 ? 1 : 0;
        const size_t n_test = std::max(floor_each, size_t(std::lround(double(n) * test)));
        const size_t n_valid = std::max(floor_each, size_t(std::lround(double(n) * valid)));
        for (size_t k = 0; k < n; ++k)
            out[idx[k]] = k < n_test ? Split::test : (k < n_test + n_valid ? Split::valid : Split::train);
    }
    return out;
}

}  // namespace altup
