// FNV-1a 64: the stable, platform-independent hash behind cache keys and the
// fixed document orders of the data splits.
#pragma once
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

namespace altup {

inline uint64_t fnv1a64(std::string_view s, uint64_t h = 1469598103934665603ULL) {
    for (unsigned char c : s) {
        h ^= c;
        h *= 1099511628211ULL;
    }
    return h;
}

// A content id: the first 12 hex digits of fnv1a64 of a canonical text (the
// trial id and the speed-config id are this of their canonical JSON).
inline std::string content_id(std::string_view canonical) {
    char hex[17];
    std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(fnv1a64(canonical)));
    return std::string(hex, 12);
}

}  // namespace altup
