// Deterministic, seedable RNG (xoshiro256**, seeded through splitmix64).
// Its whole state is four words, so checkpoints can save and restore it exactly;
// std::mt19937 distributions are not portable across standard libraries.
#pragma once
#include <array>
#include <cmath>
#include <cstdint>

namespace altup {

class Rng {
public:
    explicit Rng(uint64_t seed = 0) { reseed(seed); }

    void reseed(uint64_t seed) {
        uint64_t x = seed;
        for (auto& w : s_) w = splitmix64(x);
        has_spare_ = false;
    }

    uint64_t next_u64() {
        const uint64_t result = rotl(s_[1] * 5, 7) * 9;
        const uint64_t t = s_[1] << 17;
        s_[2] ^= s_[0];
        s_[3] ^= s_[1];
        s_[1] ^= s_[2];
        s_[0] ^= s_[3];
        s_[2] ^= t;
        s_[3] = rotl(s_[3], 45);
        return result;
    }

    // Uniform in [0, 1) with 53 random bits.
    double uniform() { return (next_u64() >> 11) * 0x1.0p-53; }

    // Uniform integer in [0, n), n > 0 (Lemire's unbiased method is overkill here;
    // rejection keeps it exact).
    uint64_t uniform_int(uint64_t n) {
        const uint64_t limit = UINT64_MAX - UINT64_MAX % n;
        uint64_t r;
        do { r = next_u64(); } while (r >= limit);
        return r % n;
    }

    // Standard normal (Box-Muller, caching the second value).
    double normal() {
        if (has_spare_) { has_spare_ = false; return spare_; }
        double u1;
        do { u1 = uniform(); } while (u1 <= 0.0);
        const double u2 = uniform();
        const double r = std::sqrt(-2.0 * std::log(u1));
        spare_ = r * std::sin(2.0 * M_PI * u2);
        has_spare_ = true;
        return r * std::cos(2.0 * M_PI * u2);
    }

    // Full state, for checkpoints: 4 words + spare flag + spare value bits.
    std::array<uint64_t, 6> state() const {
        uint64_t spare_bits;
        static_assert(sizeof(double) == sizeof(uint64_t));
        __builtin_memcpy(&spare_bits, &spare_, sizeof spare_bits);
        return {s_[0], s_[1], s_[2], s_[3], has_spare_ ? 1u : 0u, spare_bits};
    }
    void set_state(const std::array<uint64_t, 6>& st) {
        for (int i = 0; i < 4; ++i) s_[i] = st[i];
        has_spare_ = st[4] != 0;
        __builtin_memcpy(&spare_, &st[5], sizeof spare_);
    }

private:
    static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
    static uint64_t splitmix64(uint64_t& x) {
        uint64_t z = (x += 0x9e3779b97f4a7c15ULL);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        return z ^ (z >> 31);
    }
    uint64_t s_[4];
    bool has_spare_ = false;
    double spare_ = 0.0;
};

}  // namespace altup
