// Plain and batched products (dnn.hpp's matmul and matmul_bf16): a cached
// primitive per shape, dnnl_sgemm for shapes that are not multiples of 16 or
// that vary (batch 1), and in bf16 a run-time-sized primitive for the varying
// ones. Which path a product takes depends on its shape alone, so a resumed
// run takes the same paths as the original.
#include <map>
#include <stdexcept>
#include <string>
#include <tuple>
#include <unordered_map>
#include <vector>

#include "core/dnn.hpp"
#include "core/dnn_internal.hpp"

namespace altup::dnn {

using namespace internal;
using dnnl::memory;
using tag = memory::format_tag;
using dt = memory::data_type;

namespace {
struct MatmulEntry {
    dnnl::matmul prim;
    std::string impl;
    memory a, b, c, bias;
    std::unordered_map<int, memory> args;  // built once: executing allocates nothing
};
// What a cached primitive was made for: the product, its epilogue, and the
// precision it multiplies in (emulated bf16 entries hold f32 memories).
struct MatmulKey {
    MatmulShape s;
    bool has_bias;
    float alpha;
    bool accumulate, bf16, native;
    auto fields() const {
        return std::tie(s.batch, s.M, s.N, s.K, s.trans_a, s.trans_b, s.broadcast_b, has_bias, alpha, accumulate, bf16,
                        native);
    }
    bool operator<(const MatmulKey& o) const { return fields() < o.fields(); }
};

MatmulEntry& matmul_entry(const MatmulShape& s, bool has_bias, float alpha, bool accumulate, bool bf16) {
    static std::map<MatmulKey, MatmulEntry> cache;
    const MatmulKey key{s, has_bias, alpha, accumulate, bf16, bf16 && matmul_policy().bf16_native};
    auto it = cache.find(key);
    if (it != cache.end()) return it->second;

    const int64_t bb = s.broadcast_b ? 1 : s.batch;
    const dt in = bf16 ? bf16_input_type() : dt::f32;  // the converted copies keep the f32 layout
    const memory::desc a_md({s.batch, s.M, s.K}, in,
                            s.trans_a ? memory::dims{s.M * s.K, 1, s.M} : memory::dims{s.M * s.K, s.K, 1});
    const memory::desc b_md({bb, s.K, s.N}, in,
                            s.trans_b ? memory::dims{s.K * s.N, 1, s.K} : memory::dims{s.K * s.N, s.N, 1});
    const memory::desc c_md({s.batch, s.M, s.N}, dt::f32, memory::dims{s.M * s.N, s.N, 1});
    const memory::desc bias_md({1, 1, s.N}, dt::f32, memory::dims{s.N, s.N, 1});

    const dnnl::primitive_attr attr = product_attr(alpha, accumulate);
    auto desc = has_bias ? dnnl::matmul::desc(a_md, b_md, bias_md, c_md) : dnnl::matmul::desc(a_md, b_md, c_md);
    MatmulEntry e;
    e.prim = create_matmul(desc, attr, bf16 ? ProductKind::bf16_fixed : ProductKind::f32_fixed, e.impl);
    e.a = memory(a_md, engine(), nullptr);
    e.b = memory(b_md, engine(), nullptr);
    e.c = memory(c_md, engine(), nullptr);
    e.args = {{DNNL_ARG_SRC, e.a}, {DNNL_ARG_WEIGHTS, e.b}, {DNNL_ARG_DST, e.c}};
    if (has_bias) {
        e.bias = memory(bias_md, engine(), nullptr);
        e.args.emplace(DNNL_ARG_BIAS, e.bias);
    }
    return cache.emplace(key, std::move(e)).first->second;
}
}  // namespace

namespace {
// Operand sizes of a product, in elements.
int64_t a_elements(const MatmulShape& s) { return s.batch * s.M * s.K; }
int64_t b_elements(const MatmulShape& s) { return (s.broadcast_b ? 1 : s.batch) * s.K * s.N; }

// C = alpha A.B (+ C) by dnnl_sgemm, plus the bias: no primitive, any shape (batch 1).
void sgemm_product(const MatmulShape& s, const float* A, const float* B, float* C, const float* bias, float alpha,
                   bool accumulate) {
    const dnnl_dim_t lda = s.trans_a ? s.M : s.K, ldb = s.trans_b ? s.K : s.N;
    const dnnl_status_t st = dnnl_sgemm(s.trans_a ? 'T' : 'N', s.trans_b ? 'T' : 'N', s.M, s.N, s.K, alpha, A, lda, B, ldb,
                                        accumulate ? 1.0f : 0.0f, C, s.N);
    if (st != dnnl_success) throw std::runtime_error("dnnl_sgemm failed with status " + std::to_string(int(st)));
    if (bias) {
#pragma omp parallel for schedule(static) if (s.M * s.N > (1 << 15))
        for (int64_t r = 0; r < s.M; ++r)
#pragma omp simd
            for (int64_t c = 0; c < s.N; ++c) C[r * s.N + c] += bias[c];
    }
}

bool takes_sgemm(const MatmulShape& s) { return s.batch == 1 && (s.varying || ((s.M | s.N | s.K) & 15) != 0); }
// In bf16, the varying ones of those run on a run-time-sized primitive instead.
bool runtime_sized(const MatmulShape& s) { return s.batch == 1 && s.varying; }

// The memories in e.args are handles: rebinding their data is all a call does.
void run_matmul(MatmulEntry& e, float* C, const float* bias) {
    e.c.set_data_handle(C);
    if (bias) e.bias.set_data_handle(mut(bias));
    e.prim.execute(stream(), e.args);
    stream().wait();
}
}  // namespace

namespace {
// Varying shapes (MoE experts) in bf16: one primitive per kind of product whose
// dimensions are all given at run time (the rule's bf16-runtime implementation
// must accept that), so a new token count creates nothing.
struct VaryingEntry {
    dnnl::matmul prim;
    std::string impl;
};
VaryingEntry& varying_entry(const MatmulShape& s, bool has_bias, float alpha, bool accumulate) {
    constexpr memory::dim R = DNNL_RUNTIME_DIM_VAL;
    static std::map<std::tuple<bool, bool, bool, float, bool>, VaryingEntry> cache;
    const auto key = std::make_tuple(s.trans_a, s.trans_b, has_bias, alpha, accumulate);
    auto it = cache.find(key);
    if (it == cache.end()) {
        const memory::desc a_md({R, R}, dt::bf16, s.trans_a ? tag::ba : tag::ab),
            b_md({R, R}, dt::bf16, s.trans_b ? tag::ba : tag::ab), c_md({R, R}, dt::f32, tag::ab), bias_md({1, R}, dt::f32, tag::ab);
        const dnnl::primitive_attr attr = product_attr(alpha, accumulate);
        const auto desc = has_bias ? dnnl::matmul::desc(a_md, b_md, bias_md, c_md) : dnnl::matmul::desc(a_md, b_md, c_md);
        VaryingEntry e;
        e.prim = create_matmul(desc, attr, ProductKind::bf16_runtime, e.impl);
        it = cache.emplace(key, std::move(e)).first;
    }
    return it->second;
}

// Each call describes its operands' actual sizes.
void matmul_bf16_varying(const MatmulShape& s, const uint16_t* A, const uint16_t* B, float* C, const float* bias, float alpha,
                         bool accumulate) {
    if (!matmul_policy().bf16_native) {  // emulated: the f32-runtime kind's dnnl_sgemm on the widened inputs
        static std::vector<float> a32, b32;
        sgemm_product(s, widened(A, a_elements(s), a32), widened(B, b_elements(s), b32), C, bias, alpha, accumulate);
        count_emulated_sgemm_call();
        return;
    }
    VaryingEntry& e = varying_entry(s, bias != nullptr, alpha, accumulate);
    const memory a(memory::desc({s.M, s.K}, dt::bf16, s.trans_a ? tag::ba : tag::ab), engine(), const_cast<uint16_t*>(A));
    const memory b(memory::desc({s.K, s.N}, dt::bf16, s.trans_b ? tag::ba : tag::ab), engine(), const_cast<uint16_t*>(B));
    const memory c(memory::desc({s.M, s.N}, dt::f32, tag::ab), engine(), C);
    std::unordered_map<int, memory> args{{DNNL_ARG_SRC, a}, {DNNL_ARG_WEIGHTS, b}, {DNNL_ARG_DST, c}};
    if (bias) args.emplace(DNNL_ARG_BIAS, memory(memory::desc({1, s.N}, dt::f32, tag::ab), engine(), mut(bias)));
    e.prim.execute(stream(), args);
    stream().wait();
}
}  // namespace

bool uses_bf16(const MatmulShape& s) {
    return s.precision == Precision::bf16 && (runtime_sized(s) || !takes_sgemm(s));
}

void matmul_bf16(const MatmulShape& s, const uint16_t* A, const uint16_t* B, float* C, const float* bias, float alpha,
                 bool accumulate) {
    if (runtime_sized(s)) return matmul_bf16_varying(s, A, B, C, bias, alpha, accumulate);
    if (takes_sgemm(s)) throw std::logic_error("matmul_bf16: shape takes the f32 sgemm path (check uses_bf16 first)");
    MatmulEntry& e = matmul_entry(s, bias != nullptr, alpha, accumulate, true);
    static std::vector<float> a32, b32;
    bind_bf16(e.a, A, a_elements(s), a32);
    bind_bf16(e.b, B, b_elements(s), b32);
    run_matmul(e, C, bias);
}

void matmul(const MatmulShape& s, const float* A, const float* B, float* C, const float* bias, float alpha,
            bool accumulate) {
    // Shapes that are not multiples of 16 are mostly the ones that change every
    // step (an MoE expert's token count): a primitive per shape would JIT a new
    // kernel each step and grow the cache without bound, so they go through
    // dnnl_sgemm, which needs no per-shape creation. The choice depends on the
    // shape alone, so a resumed run takes the same path as the original.
    if (takes_sgemm(s)) {
        sgemm_product(s, A, B, C, bias, alpha, accumulate);
        count_sgemm_call();
        return;
    }
    const bool bf16 = s.precision == Precision::bf16;
    MatmulEntry& e = matmul_entry(s, bias != nullptr, alpha, accumulate, bf16);
    bind_inputs(e.a, e.b, A, a_elements(s), B, b_elements(s), bf16);
    run_matmul(e, C, bias);
}

std::string implementation_of(const MatmulShape& s, bool has_bias, float alpha, bool accumulate) {
    // As the ops route a product: matmul_bf16 where uses_bf16(s), else matmul.
    if (uses_bf16(s) && runtime_sized(s))
        return matmul_policy().bf16_native ? varying_entry(s, has_bias, alpha, accumulate).impl
                                           : std::string("sgemm") + kEmulatedSuffix;
    if (uses_bf16(s)) return matmul_entry(s, has_bias, alpha, accumulate, true).impl;
    if (takes_sgemm(s)) return "sgemm";
    return matmul_entry(s, has_bias, alpha, accumulate, false).impl;
}

}  // namespace altup::dnn
