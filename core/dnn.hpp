// oneDNN 2.6 primitives behind plain-pointer calls. Each primitive is created
// once per (op, shapes, attributes) and cached; later calls only rebind data
// handles. docs/onednn.md says which primitive serves which op.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include <oneapi/dnnl/dnnl.hpp>

#include "core/choices.hpp"
#include "core/matmul_policy.hpp"

namespace altup::dnn {

dnnl::engine& engine();
dnnl::stream& stream();
std::string version_string();   // e.g. "2.6.3"
std::string isa_string();       // e.g. "avx512_core_bf16"

// A matmul's primitive descriptor on implementation `impl` (oneDNN's
// impl_info_str, e.g. "gemm:jit"), or on the first one oneDNN offers when impl
// is null or none has that name.
dnnl::matmul::primitive_desc matmul_pd(const dnnl::matmul::desc& desc, const dnnl::primitive_attr& attr, const char* impl);
// The same on the implementation this CPU's rule names for a kind of product
// (core/matmul_policy.hpp): what the engine's own primitives are made with.
dnnl::matmul::primitive_desc matmul_pd(const dnnl::matmul::desc& desc, const dnnl::primitive_attr& attr, ProductKind kind);

// The matmul implementations the engine has used so far in this process, by
// kind of product: for primitive kinds, the impl_info_str of each primitive
// created and how many primitives have it; for f32-runtime, "sgemm" and the
// number of dnnl_sgemm calls. Sorted by kind, then implementation.
struct ImplUse {
    ProductKind kind;
    std::string impl;
    size_t count;
};
std::vector<ImplUse> matmul_impls_used();
// The same on one line, e.g. "f32: brg:avx512_core x4, gemm:jit x6; f32-runtime: sgemm (120 calls)".
std::string matmul_impls_summary();

// C[b] = alpha * op(A[b]) . op(B[b]) (+ bias[N]) (+ C[b] when accumulate).
// A[b] is M x K (stored K x M when trans_a), B[b] is K x N (stored N x K when
// trans_b), C[b] is M x N row-major. batch_b == 1 broadcasts B over the batch.
// Transposes are strides in the memory descriptors: no copies.
struct MatmulShape {
    int64_t batch = 1, M = 0, N = 0, K = 0;
    bool trans_a = false, trans_b = false, broadcast_b = false;
    // A dimension changes from step to step (an MoE expert's token count):
    // such products run on dnnl_sgemm, which needs no primitive per shape.
    bool varying = false;
    // What the inputs are multiplied in (train.dtype); see "bf16" below.
    Precision precision = Precision::f32;

    // Built by name, so a call site says what it multiplies and no two
    // neighbouring calls can disagree on argument order:
    //   MatmulShape::of(batch, M, N, K).with_trans_b(true)
    static MatmulShape of(int64_t batch, int64_t M, int64_t N, int64_t K) {
        MatmulShape s;
        s.batch = batch, s.M = M, s.N = N, s.K = K;
        return s;
    }
    MatmulShape with_trans_a(bool on) const { MatmulShape s = *this; s.trans_a = on; return s; }
    MatmulShape with_trans_b(bool on) const { MatmulShape s = *this; s.trans_b = on; return s; }
    MatmulShape with_broadcast_b(bool on) const { MatmulShape s = *this; s.broadcast_b = on; return s; }
    MatmulShape with_varying(bool on) const { MatmulShape s = *this; s.varying = on; return s; }
    MatmulShape with_precision(Precision p) const { MatmulShape s = *this; s.precision = p; return s; }

    // The three products of a linear layer y = x W^T, x [M, K], W [N, K]:
    // y = x . W^T [M, N]; dx = dy . W [M, K]; dW = dy^T . x [N, K].
    static MatmulShape linear_forward(int64_t M, int64_t N, int64_t K, bool varying) {
        return of(1, M, N, K).with_trans_b(true).with_varying(varying);
    }
    static MatmulShape linear_input_grad(int64_t M, int64_t N, int64_t K, bool varying) {
        return of(1, M, K, N).with_varying(varying);
    }
    static MatmulShape linear_weight_grad(int64_t M, int64_t N, int64_t K, bool varying) {
        return of(1, N, K, M).with_trans_a(true).with_varying(varying);
    }
};
void matmul(const MatmulShape& s, const float* A, const float* B, float* C,
            const float* bias = nullptr, float alpha = 1.0f, bool accumulate = false);
// The implementation matmul(s, ...) (or matmul_bf16 in bf16) runs on at
// s.precision: the impl_info_str of the primitive serving it (created and
// cached if it was not yet), or "sgemm".
std::string implementation_of(const MatmulShape& s, bool has_bias = false, float alpha = 1.0f, bool accumulate = false);

// A 4-D batched matmul on strided views: C[i,j] = alpha * A[i,j] . B[i,j]
// (+ C when accumulate) for the two batch indices i, j; each operand is its
// dims {b0, b1, rows, cols} and element strides, so attention can read q, k
// and v straight out of a packed [B*T, 3d] buffer and write heads merged.
// matmul_strided multiplies in f32; matmul_strided_bf16 is its bf16 form.
struct StridedView {
    int64_t dims[4];
    int64_t strides[4];
};
void matmul_strided(const StridedView& a, const StridedView& b, const StridedView& c, const float* A, const float* B,
                    float* C, float alpha = 1.0f, bool accumulate = false);
// The same on inputs already rounded to bf16 (to_bf16 of the f32 buffers,
// same layout): attention rounds each buffer once and uses it in several
// products instead of rounding each view's span per product.
void matmul_strided_bf16(const StridedView& a, const StridedView& b, const StridedView& c, const uint16_t* A,
                         const uint16_t* B, float* C, float alpha = 1.0f, bool accumulate = false);

// bf16 (MatmulShape::precision, from train.dtype): A and B are rounded to
// bfloat16 (round to nearest even) and multiplied by oneDNN's bf16 kernels
// with f32 accumulation and an f32 result; parameters, activations,
// gradients and the optimizer stay f32 (the "f32 master weights" scheme).
// Each product carries its precision: there is no process-wide setting, so
// one process can run f32 and bf16 models side by side (the benchmarks do).
// Products with a dimension that is not a multiple of 16 stay f32
// (dnnl_sgemm); varying ones (MoE expert batches) multiply in bf16 on one
// run-time-sized primitive per kind of product.
// Round n floats to bfloat16 (stored as the upper 16 bits), in parallel.
void to_bf16(const float* src, uint16_t* dst, int64_t n);
// Whether matmul(s, ...) multiplies in bf16 (s.precision bf16 and a shape
// that takes a cached primitive), and the same product on inputs the caller
// has already rounded with to_bf16, so one rounding can serve several products.
bool uses_bf16(const MatmulShape& s);
void matmul_bf16(const MatmulShape& s, const uint16_t* A, const uint16_t* B, float* C, const float* bias = nullptr,
                 float alpha = 1.0f, bool accumulate = false);

// Softmax over the last axis of a rows x cols matrix.
void softmax_forward(const float* src, float* dst, int64_t rows, int64_t cols);
void softmax_backward(const float* dst, const float* diff_dst, float* diff_src, int64_t rows, int64_t cols);

// LayerNorm over the last axis (rows x cols) with scale and shift.
// mean/var: rows floats each, written by forward, read by backward.
void layernorm_forward(const float* src, const float* gamma, const float* beta, float* dst,
                       float* mean, float* var, int64_t rows, int64_t cols, float eps);
// diff_gamma / diff_beta are overwritten (not accumulated).
void layernorm_backward(const float* src, const float* gamma, const float* beta, const float* mean, const float* var,
                        const float* diff_dst, float* diff_src, float* diff_gamma, float* diff_beta,
                        int64_t rows, int64_t cols, float eps);

// Number of primitives created so far (tests check the cache is hit).
size_t primitives_created();

}  // namespace altup::dnn
