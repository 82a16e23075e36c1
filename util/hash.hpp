// FNV-1a 64: the stable, platform-independent hash behind cache keys and the
// fixed document orders of the data splits.
#pragma once
#include <cstdint>
#include <string_view>

namespace altup {

inline uint64_t fnv1a64(std::string_view s, uint64_t h = 1469598103934665603ULL) {
    for (unsigned char c : s) {
        h ^= c;
        h *= 1099511628211ULL;
    }
    return h;
}

}  // namespace altup
