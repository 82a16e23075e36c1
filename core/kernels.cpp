#include "core/kernels.hpp"

namespace altup::kernels {

void axpy(int64_t n, float a, const float* x, float* y) {
#pragma omp parallel for simd schedule(static) if (n > (1 << 16))
    for (int64_t i = 0; i < n; ++i) y[i] += a * x[i];
}

float dot(int64_t n, const float* x, const float* y) {
    double s = 0.0;
    for (int64_t i = 0; i < n; ++i) s += static_cast<double>(x[i]) * y[i];
    return static_cast<float>(s);
}

double sum_sq(int64_t n, const float* x) {
    double s = 0.0;
    for (int64_t i = 0; i < n; ++i) s += static_cast<double>(x[i]) * x[i];
    return s;
}

void scale(int64_t n, float a, float* x) {
#pragma omp parallel for simd schedule(static) if (n > (1 << 16))
    for (int64_t i = 0; i < n; ++i) x[i] *= a;
}

}  // namespace altup::kernels
