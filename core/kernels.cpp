#include "core/kernels.hpp"

#include <algorithm>

namespace altup::kernels {

void axpy(int64_t n, float a, const float* x, float* y) {
    if (n <= (1 << 16)) {  // ops call this once per row: no OpenMP region for those
#pragma omp simd
        for (int64_t i = 0; i < n; ++i) y[i] += a * x[i];
        return;
    }
#pragma omp parallel for simd schedule(static)
    for (int64_t i = 0; i < n; ++i) y[i] += a * x[i];
}

void copy(int64_t n, const float* x, float* y) {
#pragma omp parallel for simd schedule(static) if (n > (1 << 16))
    for (int64_t i = 0; i < n; ++i) y[i] = x[i];
}

float dot(int64_t n, const float* x, const float* y) {
    double s = 0.0;  // vector lanes summed in a fixed order: deterministic
#pragma omp simd reduction(+ : s)
    for (int64_t i = 0; i < n; ++i) s += static_cast<double>(x[i]) * y[i];
    return static_cast<float>(s);
}

double sum_sq(int64_t n, const float* x) {
    // 64 fixed chunks summed in parallel, then in order: vectorised and
    // threaded, yet the same bits for any thread count.
    constexpr int kChunks = 64;
    double part[kChunks];
    const int64_t len = (n + kChunks - 1) / kChunks;
#pragma omp parallel for schedule(static) if (n > (1 << 16))
    for (int c = 0; c < kChunks; ++c) {
        const int64_t lo = std::min<int64_t>(n, c * len), hi = std::min<int64_t>(n, lo + len);
        double s = 0.0;
#pragma omp simd reduction(+ : s)
        for (int64_t i = lo; i < hi; ++i) s += static_cast<double>(x[i]) * x[i];
        part[c] = s;
    }
    double s = 0.0;
    for (double p : part) s += p;
    return s;
}

void scale(int64_t n, float a, float* x) {
    if (n <= (1 << 16)) {
#pragma omp simd
        for (int64_t i = 0; i < n; ++i) x[i] *= a;
        return;
    }
#pragma omp parallel for simd schedule(static)
    for (int64_t i = 0; i < n; ++i) x[i] *= a;
}

namespace {
template <bool kRound>
void column_sums(int64_t rows, int64_t cols, const float* x, float* sums, uint16_t* x16) {
    constexpr int64_t kChunk = 64;
#pragma omp parallel for schedule(static) if (rows * cols > (1 << 16))
    for (int64_t c0 = 0; c0 < cols; c0 += kChunk) {
        const int64_t c1 = std::min(cols, c0 + kChunk);
        float acc[kChunk] = {};
        for (int64_t r = 0; r < rows; ++r) {
            const float* row = x + r * cols;
            for (int64_t c = c0; c < c1; ++c) acc[c - c0] += row[c];
            if constexpr (kRound) {
                uint16_t* row16 = x16 + r * cols;
#pragma omp simd
                for (int64_t c = c0; c < c1; ++c) row16[c] = round_bf16(row[c]);
            }
        }
        for (int64_t c = c0; c < c1; ++c) sums[c] += acc[c - c0];
    }
}
}  // namespace

void add_column_sums(int64_t rows, int64_t cols, const float* x, float* sums) {
    column_sums<false>(rows, cols, x, sums, nullptr);
}

void add_column_sums_and_round(int64_t rows, int64_t cols, const float* x, float* sums, uint16_t* x16) {
    column_sums<true>(rows, cols, x, sums, x16);
}

}  // namespace altup::kernels
