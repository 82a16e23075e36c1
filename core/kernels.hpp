// Plain loops for the few things oneDNN has no primitive for (or where a
// primitive call costs more than the work). Small and vectorisable.
#pragma once
#include <cstdint>

namespace altup::kernels {

void axpy(int64_t n, float a, const float* x, float* y);   // y += a*x
float dot(int64_t n, const float* x, const float* y);      // double accumulation
double sum_sq(int64_t n, const float* x);
void scale(int64_t n, float a, float* x);                  // x *= a

}  // namespace altup::kernels
