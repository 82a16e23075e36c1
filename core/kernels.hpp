// Plain loops for the few things oneDNN has no primitive for (or where a
// primitive call costs more than the work). Small and vectorisable.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdint>

namespace altup::kernels {

void axpy(int64_t n, float a, const float* x, float* y);   // y += a*x
float dot(int64_t n, const float* x, const float* y);      // double accumulation, vectorised
double sum_sq(int64_t n, const float* x);
void scale(int64_t n, float a, float* x);                  // x *= a
void copy(int64_t n, const float* x, float* y);            // y = x, threaded when large
// sums[c] += the sum over r of x[r, c] (x rows x cols, row-major), each column summed
// in row order whatever the thread count; columns are walked in chunks of 64, so
// reads are contiguous (a column at a time would read each cache line 16 times).
void add_column_sums(int64_t rows, int64_t cols, const float* x, float* sums);
// The same sums, and x rounded to bfloat16 into x16 (as round_bf16) in the same
// pass: a bf16 linear layer's backward needs both of its dY, and reading the
// f32 dY once instead of twice saves a pass over it.
void add_column_sums_and_round(int64_t rows, int64_t cols, const float* x, float* sums, uint16_t* x16);

// e^x within about 2 ulp (Cephes' expf: a degree-6 polynomial on
// x - n ln 2, times 2^n built from the exponent bits). Branch-free, so a loop
// over it vectorises, which std::exp does not without -ffast-math: softmax
// and cross-entropy spend their time here. Returns 0 below -87.33 (float
// underflow) and saturates at e^88.
inline float exp_fast(float x) {
    const float c = std::min(std::max(x, -87.33654f), 88.0f);
    const float n = std::floor(c * 1.44269504088896341f + 0.5f);
    float r = c - n * 0.693359375f;  // ln 2 in two parts, so r is exact
    r = r + n * 2.12194440e-4f;
    float p = 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    p = p * r * r + r + 1.0f;
    // 2^n from its exponent bits (a bit cast the vectoriser understands; memcpy it does not).
    const float two_n = __builtin_bit_cast(float, (static_cast<int32_t>(n) + 127) << 23);
    return x < -87.33654f ? 0.0f : p * two_n;
}

// The largest of x[0..n), n >= 1, as a left-to-right std::max would give it
// (a NaN first element wins, later NaNs are skipped). GCC does not vectorise a
// max reduction without -ffast-math; sixteen running maxima, one per lane,
// compile to vmaxps, whose `a > b ? a : b` is exactly this comparison.
inline float max_of(const float* x, int64_t n) {
    constexpr int kLanes = 16;
    float m[kLanes];
    for (int l = 0; l < kLanes; ++l) m[l] = x[0];
    int64_t v = 0;
    for (; v + kLanes <= n; v += kLanes)
        for (int l = 0; l < kLanes; ++l) m[l] = x[v + l] > m[l] ? x[v + l] : m[l];
    float mx = m[0];
    for (int l = 1; l < kLanes; ++l) mx = m[l] > mx ? m[l] : mx;
    for (; v < n; ++v) mx = x[v] > mx ? x[v] : mx;
    return mx;
}

// f32 to bfloat16 (its upper 16 bits), rounded to nearest even on the bit
// pattern; NaNs stay NaNs (quiet bit set). Vectorises inside a loop.
inline uint16_t round_bf16(float f) {
    const uint32_t u = __builtin_bit_cast(uint32_t, f);
    const bool nan = (u & 0x7fffffffu) > 0x7f800000u;
    const uint32_t rounded = (u + 0x7fffu + ((u >> 16) & 1u)) >> 16;
    return static_cast<uint16_t>(nan ? ((u >> 16) | 0x40u) : rounded);
}

// bfloat16 back to f32: exact (the value is the upper half of the float).
inline float widen_bf16(uint16_t b) { return __builtin_bit_cast(float, uint32_t(b) << 16); }

}  // namespace altup::kernels
