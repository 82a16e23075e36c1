// "Did you mean ...?" for a mistyped key or value: the Levenshtein distance,
// and the closest of a list of candidates. Shared by the config loader, the
// sweep file parser and `altup analyze`, which must not depend on each other.
#pragma once
#include <algorithm>
#include <cstddef>
#include <string>
#include <vector>

namespace altup {

// Insertions, deletions and substitutions that turn `a` into `b`.
inline std::size_t edit_distance(const std::string& a, const std::string& b) {
    std::vector<std::size_t> prev(b.size() + 1), cur(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j) prev[j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i) {
        cur[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j)
            cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
        std::swap(prev, cur);
    }
    return prev[b.size()];
}

// The candidate closest to `word` (the first of equals), or "" when even the
// closest is more than `max_distance` edits away: then it is no typo.
inline std::string closest_match(const std::string& word, const std::vector<std::string>& candidates,
                                 std::size_t max_distance) {
    std::string best;
    std::size_t best_distance = max_distance + 1;
    for (const std::string& candidate : candidates) {
        const std::size_t d = edit_distance(word, candidate);
        if (d < best_distance) {
            best_distance = d;
            best = candidate;
        }
    }
    return best;
}

}  // namespace altup
