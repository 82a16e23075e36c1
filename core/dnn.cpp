// The oneDNN engine and stream, and what the engine records: primitives
// created, the implementation each matmul primitive runs on, dnnl_sgemm calls;
// and the pieces every product file shares
// (core/dnn_internal.hpp). The products themselves: dnn_matmul.cpp (plain and
// batched), dnn_strided.cpp (attention's 4-D views); softmax and LayerNorm:
// dnn_norm.cpp.
#include "core/dnn.hpp"

#include <algorithm>
#include <cstring>
#include <map>
#include <vector>

#include "core/dnn_internal.hpp"
#include "core/kernels.hpp"

namespace altup::dnn {

namespace {
size_t g_created = 0;
// What matmul_impls_used reports: primitives created per (kind, impl_info_str),
// and dnnl_sgemm calls. Products are only ever called from the main thread.
std::map<std::pair<ProductKind, std::string>, size_t> g_impls;
size_t g_sgemm_calls = 0;
size_t g_sgemm_bf16_calls = 0;  // emulated bf16-runtime products (matmul_policy.hpp)
}  // namespace

dnnl::engine& engine() {
    static dnnl::engine e(dnnl::engine::kind::cpu, 0);
    return e;
}

dnnl::stream& stream() {
    static dnnl::stream s(engine());
    return s;
}

std::string version_string() {
    const dnnl_version_t* v = dnnl_version();
    return std::to_string(v->major) + "." + std::to_string(v->minor) + "." + std::to_string(v->patch);
}

std::string isa_string() {
    switch (dnnl::get_effective_cpu_isa()) {
        case dnnl::cpu_isa::sse41: return "sse41";
        case dnnl::cpu_isa::avx: return "avx";
        case dnnl::cpu_isa::avx2: return "avx2";
        case dnnl::cpu_isa::avx512_core: return "avx512_core";
        case dnnl::cpu_isa::avx512_core_vnni: return "avx512_core_vnni";
        case dnnl::cpu_isa::avx512_core_bf16: return "avx512_core_bf16";
        case dnnl::cpu_isa::avx512_core_amx: return "avx512_core_amx";
        default: return "other";
    }
}

size_t primitives_created() { return g_created; }

dnnl::matmul::primitive_desc matmul_pd(const dnnl::matmul::desc& desc, const dnnl::primitive_attr& attr, const char* impl) {
    dnnl_primitive_desc_iterator_t it = nullptr;
    if (impl && dnnl_primitive_desc_iterator_create(&it, &desc.data, attr.get(), engine().get(), nullptr) == dnnl_success) {
        dnnl_primitive_desc_t found = nullptr;
        do {
            dnnl_primitive_desc_t pd = dnnl_primitive_desc_iterator_fetch(it);
            const char* name = nullptr;
            if (pd && dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &name) == dnnl_success &&
                std::strcmp(name, impl) == 0) {
                found = pd;
                break;
            }
            if (pd) dnnl_primitive_desc_destroy(pd);
        } while (dnnl_primitive_desc_iterator_next(it) == dnnl_success);
        dnnl_primitive_desc_iterator_destroy(it);
        if (found) return dnnl::matmul::primitive_desc(found);  // takes ownership
    }
    return dnnl::matmul::primitive_desc(desc, attr, engine());
}

dnnl::matmul::primitive_desc matmul_pd(const dnnl::matmul::desc& desc, const dnnl::primitive_attr& attr, ProductKind kind) {
    return matmul_pd(desc, attr, matmul_policy().of(kind).impl_or_null());
}

std::vector<ImplUse> matmul_impls_used() {
    std::vector<ImplUse> out;
    for (const auto& [key, n] : g_impls) out.push_back({key.first, key.second, n});
    if (g_sgemm_calls) out.push_back({ProductKind::f32_runtime, "sgemm", g_sgemm_calls});
    if (g_sgemm_bf16_calls) out.push_back({ProductKind::bf16_runtime, std::string("sgemm") + internal::kEmulatedSuffix, g_sgemm_bf16_calls});
    std::stable_sort(out.begin(), out.end(), [](const ImplUse& a, const ImplUse& b) { return a.kind < b.kind; });
    return out;
}

std::string matmul_impls_summary() {
    std::string out;
    const std::vector<ImplUse> used = matmul_impls_used();
    for (size_t i = 0; i < used.size(); ++i) {
        const bool new_kind = i == 0 || used[i].kind != used[i - 1].kind;
        if (new_kind) out += std::string(i == 0 ? "" : "; ") + kind_name(used[i].kind) + ": ";
        else out += ", ";
        out += used[i].impl + (used[i].impl.rfind("sgemm", 0) == 0 ? " (" + std::to_string(used[i].count) + " calls)"
                                                       : " x" + std::to_string(used[i].count));
    }
    return out.empty() ? "(none yet)" : out;
}


void to_bf16(const float* src, uint16_t* dst, int64_t n) {
    if (n <= 32768) {  // called per row by some ops: no OpenMP region for those
#pragma omp simd
        for (int64_t i = 0; i < n; ++i) dst[i] = kernels::round_bf16(src[i]);
        return;
    }
#pragma omp parallel for simd schedule(static)
    for (int64_t i = 0; i < n; ++i) dst[i] = kernels::round_bf16(src[i]);
}

namespace internal {

void count_primitive() { ++g_created; }
void count_sgemm_call() { ++g_sgemm_calls; }
void count_emulated_sgemm_call() { ++g_sgemm_bf16_calls; }

// The element type a bf16 product's inputs are handed to oneDNN in: bf16, or
// f32 holding bf16 values where the CPU has no bf16 matmul (matmul_policy.hpp).
dnnl::memory::data_type bf16_input_type() {
    return matmul_policy().bf16_native ? dnnl::memory::data_type::bf16 : dnnl::memory::data_type::f32;
}

// bf16 values widened to f32 (exact: the low 16 bits are zero) into a
// grow-only buffer, for the emulated path.
const float* widened(const uint16_t* src, int64_t n, std::vector<float>& scratch) {
    if (int64_t(scratch.size()) < n) scratch.resize(size_t(n));
    float* dst = scratch.data();
#pragma omp parallel for simd schedule(static) if (n > 32768)
    for (int64_t i = 0; i < n; ++i) dst[i] = kernels::widen_bf16(src[i]);
    return dst;
}

// Every matmul primitive the engine keeps is made here, on its kind's
// implementation, and counted.
dnnl::matmul create_matmul(const dnnl::matmul::desc& desc, const dnnl::primitive_attr& attr, ProductKind kind,
                           std::string& impl) {
    const dnnl::matmul::primitive_desc pd = matmul_pd(desc, attr, kind);
    impl = pd.impl_info_str();
    const bool bf16_kind = kind == ProductKind::bf16_fixed || kind == ProductKind::bf16_runtime;
    if (bf16_kind && !matmul_policy().bf16_native) impl += kEmulatedSuffix;
    ++g_impls[{kind, impl}];
    ++g_created;
    return dnnl::matmul(pd);
}
// C = alpha * A.B, plus the old C when accumulating (gradients add up).
dnnl::primitive_attr product_attr(float alpha, bool accumulate) {
    dnnl::primitive_attr attr;
    if (alpha != 1.0f) attr.set_output_scales(0, {alpha});
    if (accumulate) {
        dnnl::post_ops po;
        po.append_sum(1.0f);
        attr.set_post_ops(po);
    }
    return attr;
}

// Points a bf16 product's input memory at bf16 data: as it is, or widened to
// f32 into `scratch` on the emulated path.
void bind_bf16(dnnl::memory& m, const uint16_t* src, int64_t n, std::vector<float>& scratch) {
    if (matmul_policy().bf16_native) m.set_data_handle(const_cast<uint16_t*>(src));
    else m.set_data_handle(const_cast<float*>(widened(src, n, scratch)));
}

// Points a product's input memories at A and B, or at bf16 roundings of their
// first na / nb elements in grow-only buffers (no allocation once warm).
void bind_inputs(dnnl::memory& a, dnnl::memory& b, const float* A, int64_t na, const float* B, int64_t nb, bool bf16) {
    if (!bf16) {
        a.set_data_handle(mut(A));
        b.set_data_handle(mut(B));
        return;
    }
    static std::vector<uint16_t> a16, b16;
    static std::vector<float> a32, b32;
    if (int64_t(a16.size()) < na) a16.resize(size_t(na));
    if (int64_t(b16.size()) < nb) b16.resize(size_t(nb));
    to_bf16(A, a16.data(), na);
    to_bf16(B, b16.data(), nb);
    bind_bf16(a, a16.data(), na, a32);
    bind_bf16(b, b16.data(), nb, b32);
}

}  // namespace internal

}  // namespace altup::dnn
