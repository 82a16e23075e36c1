#include "core/kernels.hpp"

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

}  // namespace altup::kernels
