// What the files of core/dnn* share and nothing outside them uses: counters
// of what the engine created and called, the bf16 input handling, and the one
// place matmul primitives are made (on the implementation matmul_policy names).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "core/dnn.hpp"

namespace altup::dnn::internal {

inline void* mut(const float* p) { return const_cast<float*>(p); }
inline dnnl::memory::desc md2(int64_t rows, int64_t cols) {
    return dnnl::memory::desc({rows, cols}, dnnl::memory::data_type::f32, dnnl::memory::format_tag::ab);
}
inline dnnl::memory::desc md1(int64_t n) {
    return dnnl::memory::desc({n}, dnnl::memory::data_type::f32, dnnl::memory::format_tag::a);
}

// Appended to the implementation of a bf16 product that runs emulated on f32.
constexpr const char* kEmulatedSuffix = " (bf16 emulated)";

void count_primitive();             // a non-matmul primitive created (primitives_created)
void count_sgemm_call();            // an f32 product run by dnnl_sgemm
void count_emulated_sgemm_call();   // a bf16-runtime product emulated on dnnl_sgemm

// The element type a bf16 product's inputs are handed to oneDNN in: bf16, or
// f32 holding bf16 values where the CPU has no bf16 matmul (matmul_policy.hpp).
dnnl::memory::data_type bf16_input_type();
// bf16 values widened to f32 (exact) into a grow-only buffer, for the emulated path.
const float* widened(const uint16_t* src, int64_t n, std::vector<float>& scratch);
// Every matmul primitive the engine keeps is made here, on its kind's
// implementation, and counted; `impl` receives its impl_info_str.
dnnl::matmul create_matmul(const dnnl::matmul::desc& desc, const dnnl::primitive_attr& attr, ProductKind kind,
                           std::string& impl);
// C = alpha * A.B, plus the old C when accumulating (gradients add up).
dnnl::primitive_attr product_attr(float alpha, bool accumulate);
// Points a bf16 product's input memory at bf16 data: as it is, or widened.
void bind_bf16(dnnl::memory& m, const uint16_t* src, int64_t n, std::vector<float>& scratch);
// Points a product's input memories at A and B, or at bf16 roundings of their
// first na / nb elements in grow-only buffers (no allocation once warm).
void bind_inputs(dnnl::memory& a, dnnl::memory& b, const float* A, int64_t na, const float* B, int64_t nb, bool bf16);

}  // namespace altup::dnn::internal
