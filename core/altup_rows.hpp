// Row loops shared by the AltUp ops (ops_altup.cpp, ops_altup_fused.cpp); not
// part of the public API. Both files must do the same arithmetic in the same
// order where the fused op stands in for the composed ones (equal bits).
#pragma once
#include <algorithm>
#include <cstdint>
#include <vector>

namespace altup::detail {

// Sums over the N tokens of a reduction into `out[0..m)`, in parallel but in
// an order fixed by N alone: 64 chunks of rows (whatever the thread count),
// each accumulated in double by `chunk(lo, hi, partial)`, then added in chunk order.
template <class Chunk>
void token_reduction(int64_t N, int m, Chunk chunk, float* out) {
    constexpr int64_t kChunks = 64;
    std::vector<double> partial(size_t(kChunks * m), 0.0);
#pragma omp parallel for schedule(static)
    for (int64_t c = 0; c < kChunks; ++c) chunk(N * c / kChunks, N * (c + 1) / kChunks, partial.data() + c * m);
    for (int r = 0; r < m; ++r) {
        double s = 0.0;
        for (int64_t c = 0; c < kChunks; ++c) s += partial[size_t(c * m + r)];
        out[r] += static_cast<float>(s);
    }
}

// y = sum_i w_i x_i for one token's K blocks: block by block into a zeroed
// row, as weighted_sum's axpys (equal bits).
inline void block_sum_row(const float* xn, const float* w, int k, int64_t d, float* y) {
    std::fill(y, y + d, 0.0f);
    for (int i = 0; i < k; ++i) {
        const float wi = w[i];
        const float* xi = xn + i * d;
#pragma omp simd
        for (int64_t c = 0; c < d; ++c) y[c] += wi * xi[c];
    }
}

}  // namespace altup::detail
