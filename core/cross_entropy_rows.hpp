// The row work of a mean cross-entropy over logits [N, V], shared by
// cross_entropy (ops_loss.cpp) and the fused head (ops_head.cpp): per row the
// maximum and the sum of exponentials, the log-sum-exp recomputed where it
// is needed, and the gradient g * (softmax - one-hot) written in f32 or
// rounded to bf16 as it is computed. No [N, V] buffer of its own.
#pragma once
#include <cstdint>
#include <vector>

#include "core/tensor.hpp"

namespace altup::cross_entropy_rows {

struct RowStats {
    Tensor row_max, row_sum;  // [N] each
    float inv_count = 0.0f;   // 1 / (rows whose target is not ignored), 0 when none
    float loss = 0.0f;        // the mean cross-entropy
};

// Checks the targets (std::invalid_argument naming the row), then one pass
// over the rows. With grad16 (room for N*V bf16), also writes the gradient
// of the loss itself (upstream gradient 1) rounded to bf16, while each row
// is in cache.
RowStats forward(const float* z, int64_t N, int64_t V, const std::vector<int32_t>& targets, int32_t ignore_index,
                 uint16_t* grad16);

// d = g * (softmax(z) - one-hot(t)) per row, ignored rows 0; written (fresh)
// or added.
void gradient_f32(const float* z, const RowStats& s, float g, const std::vector<int32_t>& targets, int32_t ignore_index,
                  int64_t N, int64_t V, float* d, bool fresh);
// The same rounded to bf16 (the exponentials recomputed: the bits of forward's).
void gradient_bf16(const float* z, const RowStats& s, float g, const std::vector<int32_t>& targets, int32_t ignore_index,
                   int64_t N, int64_t V, uint16_t* d);

}  // namespace altup::cross_entropy_rows
