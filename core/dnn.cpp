#include "core/dnn.hpp"

#include "core/kernels.hpp"

#include <algorithm>
#include <array>
#include <cstring>
#include <map>
#include <stdexcept>
#include <tuple>
#include <vector>

namespace altup::dnn {

using dnnl::memory;
using tag = memory::format_tag;
using dt = memory::data_type;

namespace {
size_t g_created = 0;
// What matmul_impls_used reports: primitives created per (kind, impl_info_str),
// and dnnl_sgemm calls. Products are only ever called from the main thread.
std::map<std::pair<ProductKind, std::string>, size_t> g_impls;
size_t g_sgemm_calls = 0;
size_t g_sgemm_bf16_calls = 0;  // emulated bf16-runtime products (matmul_policy.hpp)
// Appended to the implementation of a bf16 product that runs emulated on f32.
constexpr const char* kEmulatedSuffix = " (bf16 emulated)";

memory::desc md2(int64_t rows, int64_t cols) { return memory::desc({rows, cols}, dt::f32, tag::ab); }
memory::desc md1(int64_t n) { return memory::desc({n}, dt::f32, tag::a); }
void* mut(const float* p) { return const_cast<float*>(p); }
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
    if (g_sgemm_bf16_calls) out.push_back({ProductKind::bf16_runtime, std::string("sgemm") + kEmulatedSuffix, g_sgemm_bf16_calls});
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

namespace {
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
}  // namespace

// ---------------------------------------------------------------- matmul
namespace {
Precision g_precision = Precision::f32;

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
// Points a bf16 product's input memory at bf16 data: as it is, or widened to
// f32 into `scratch` on the emulated path.
void bind_bf16(memory& m, const uint16_t* src, int64_t n, std::vector<float>& scratch) {
    if (matmul_policy().bf16_native) m.set_data_handle(const_cast<uint16_t*>(src));
    else m.set_data_handle(const_cast<float*>(widened(src, n, scratch)));
}

// Points a product's input memories at A and B, or at bf16 roundings of their
// first na / nb elements in grow-only buffers (no allocation once warm).
void bind_inputs(memory& a, memory& b, const float* A, int64_t na, const float* B, int64_t nb, bool bf16) {
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
        ++g_sgemm_bf16_calls;
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
    return g_precision == Precision::bf16 && (runtime_sized(s) || !takes_sgemm(s));
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
        ++g_sgemm_calls;
        return;
    }
    const bool bf16 = g_precision == Precision::bf16;
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

namespace {
struct StridedEntry {
    dnnl::matmul prim;
    memory a, b, c;
    std::unordered_map<int, memory> args;
};
memory::desc strided_md(const StridedView& v, dt type) {
    return memory::desc(memory::dims(v.dims, v.dims + 4), type, memory::dims(v.strides, v.strides + 4));
}
// Elements from a view's first to its last, inclusive: what a bf16 copy must cover.
int64_t extent(const StridedView& v) {
    int64_t e = 1;
    for (int i = 0; i < 4; ++i) e += (v.dims[i] - 1) * v.strides[i];
    return e;
}
}  // namespace

namespace {
StridedEntry& strided_entry(const StridedView& a, const StridedView& b, const StridedView& c, float alpha, bool accumulate,
                            bool bf16) {
    using Key = std::tuple<std::array<int64_t, 24>, float, bool, bool, bool>;
    static std::map<Key, StridedEntry> cache;
    std::array<int64_t, 24> shape{};  // dims and strides of a, b, c: the lookup allocates nothing
    auto out = shape.begin();
    for (const StridedView* v : {&a, &b, &c}) {
        out = std::copy(v->dims, v->dims + 4, out);
        out = std::copy(v->strides, v->strides + 4, out);
    }
    Key key{shape, alpha, accumulate, bf16, bf16 && matmul_policy().bf16_native};
    auto it = cache.find(key);
    if (it == cache.end()) {
        const dt in = bf16 ? bf16_input_type() : dt::f32;
        const dnnl::primitive_attr attr = product_attr(alpha, accumulate);
        const auto a_md = strided_md(a, in), b_md = strided_md(b, in), c_md = strided_md(c, dt::f32);
        std::string impl;
        StridedEntry e{create_matmul(dnnl::matmul::desc(a_md, b_md, c_md), attr,
                                     bf16 ? ProductKind::bf16_fixed : ProductKind::f32_fixed, impl),
                       memory(a_md, engine(), nullptr), memory(b_md, engine(), nullptr), memory(c_md, engine(), nullptr), {}};
        e.args = {{DNNL_ARG_SRC, e.a}, {DNNL_ARG_WEIGHTS, e.b}, {DNNL_ARG_DST, e.c}};
        it = cache.emplace(std::move(key), std::move(e)).first;
    }
    return it->second;
}

void run_strided(StridedEntry& e, float* C) {
    e.c.set_data_handle(C);
    e.prim.execute(stream(), e.args);
    stream().wait();
}
}  // namespace

void matmul_strided(const StridedView& a, const StridedView& b, const StridedView& c, const float* A, const float* B,
                    float* C, float alpha, bool accumulate) {
    const bool bf16 = g_precision == Precision::bf16;
    StridedEntry& e = strided_entry(a, b, c, alpha, accumulate, bf16);
    // The copies keep the f32 layout (same strides), so only the covered span is converted.
    bind_inputs(e.a, e.b, A, extent(a), B, extent(b), bf16);
    run_strided(e, C);
}

void matmul_strided_bf16(const StridedView& a, const StridedView& b, const StridedView& c, const uint16_t* A,
                         const uint16_t* B, float* C, float alpha, bool accumulate) {
    StridedEntry& e = strided_entry(a, b, c, alpha, accumulate, true);
    static std::vector<float> a32, b32;
    bind_bf16(e.a, A, extent(a), a32);
    bind_bf16(e.b, B, extent(b), b32);
    run_strided(e, C);
}

void set_matmul_precision(Precision p) { g_precision = p; }
Precision matmul_precision() { return g_precision; }

void to_bf16(const float* src, uint16_t* dst, int64_t n) {
    if (n <= 32768) {  // called per row by some ops: no OpenMP region for those
#pragma omp simd
        for (int64_t i = 0; i < n; ++i) dst[i] = kernels::round_bf16(src[i]);
        return;
    }
#pragma omp parallel for simd schedule(static)
    for (int64_t i = 0; i < n; ++i) dst[i] = kernels::round_bf16(src[i]);
}

// ---------------------------------------------------------------- softmax
namespace {
struct SoftmaxEntry {
    dnnl::softmax_forward::primitive_desc fwd_pd;
    dnnl::softmax_forward fwd;
    dnnl::softmax_backward bwd;
    bool has_bwd = false;
    memory src, dst, diff_dst, diff_src;
};
SoftmaxEntry& softmax_entry(int64_t rows, int64_t cols) {
    static std::map<std::pair<int64_t, int64_t>, SoftmaxEntry> cache;
    const auto key = std::make_pair(rows, cols);
    auto it = cache.find(key);
    if (it != cache.end()) return it->second;
    SoftmaxEntry e;
    const auto md = md2(rows, cols);
    e.fwd_pd = dnnl::softmax_forward::primitive_desc(
        dnnl::softmax_forward::desc(dnnl::prop_kind::forward_training, md, 1), engine());
    e.fwd = dnnl::softmax_forward(e.fwd_pd);
    e.src = memory(md, engine(), nullptr);
    e.dst = memory(md, engine(), nullptr);
    e.diff_dst = memory(md, engine(), nullptr);
    e.diff_src = memory(md, engine(), nullptr);
    ++g_created;
    return cache.emplace(key, std::move(e)).first->second;
}
}  // namespace

void softmax_forward(const float* src, float* dst, int64_t rows, int64_t cols) {
    auto& e = softmax_entry(rows, cols);
    e.src.set_data_handle(mut(src));
    e.dst.set_data_handle(dst);
    e.fwd.execute(stream(), {{DNNL_ARG_SRC, e.src}, {DNNL_ARG_DST, e.dst}});
    stream().wait();
}

void softmax_backward(const float* dst, const float* diff_dst, float* diff_src, int64_t rows, int64_t cols) {
    auto& e = softmax_entry(rows, cols);
    if (!e.has_bwd) {
        const auto md = md2(rows, cols);
        dnnl::softmax_backward::primitive_desc pd(dnnl::softmax_backward::desc(md, md, 1), engine(), e.fwd_pd);
        e.bwd = dnnl::softmax_backward(pd);
        e.has_bwd = true;
        ++g_created;
    }
    e.dst.set_data_handle(mut(dst));
    e.diff_dst.set_data_handle(mut(diff_dst));
    e.diff_src.set_data_handle(diff_src);
    e.bwd.execute(stream(), {{DNNL_ARG_DST, e.dst}, {DNNL_ARG_DIFF_DST, e.diff_dst}, {DNNL_ARG_DIFF_SRC, e.diff_src}});
    stream().wait();
}

// ---------------------------------------------------------------- layernorm
namespace {
struct LayerNormEntry {
    dnnl::layer_normalization_forward::primitive_desc fwd_pd;
    dnnl::layer_normalization_forward fwd;
    dnnl::layer_normalization_backward bwd;
    bool has_bwd = false;
    memory src, dst, mean, var, scale, shift, diff_dst, diff_src, diff_scale, diff_shift;
};
const auto kLnFlags = dnnl::normalization_flags::use_scale | dnnl::normalization_flags::use_shift;

LayerNormEntry& layernorm_entry(int64_t rows, int64_t cols, float eps) {
    static std::map<std::tuple<int64_t, int64_t, float>, LayerNormEntry> cache;
    const auto key = std::make_tuple(rows, cols, eps);
    auto it = cache.find(key);
    if (it != cache.end()) return it->second;
    LayerNormEntry e;
    const auto md = md2(rows, cols);
    e.fwd_pd = dnnl::layer_normalization_forward::primitive_desc(
        dnnl::layer_normalization_forward::desc(dnnl::prop_kind::forward_training, md, eps, kLnFlags), engine());
    e.fwd = dnnl::layer_normalization_forward(e.fwd_pd);
    e.src = memory(md, engine(), nullptr);
    e.dst = memory(md, engine(), nullptr);
    e.diff_dst = memory(md, engine(), nullptr);
    e.diff_src = memory(md, engine(), nullptr);
    e.mean = memory(e.fwd_pd.mean_desc(), engine(), nullptr);
    e.var = memory(e.fwd_pd.variance_desc(), engine(), nullptr);
    e.scale = memory(md1(cols), engine(), nullptr);
    e.shift = memory(md1(cols), engine(), nullptr);
    e.diff_scale = memory(md1(cols), engine(), nullptr);
    e.diff_shift = memory(md1(cols), engine(), nullptr);
    ++g_created;
    return cache.emplace(key, std::move(e)).first->second;
}
}  // namespace

void layernorm_forward(const float* src, const float* gamma, const float* beta, float* dst, float* mean, float* var,
                       int64_t rows, int64_t cols, float eps) {
    auto& e = layernorm_entry(rows, cols, eps);
    e.src.set_data_handle(mut(src));
    e.dst.set_data_handle(dst);
    e.mean.set_data_handle(mean);
    e.var.set_data_handle(var);
    e.scale.set_data_handle(mut(gamma));
    e.shift.set_data_handle(mut(beta));
    e.fwd.execute(stream(), {{DNNL_ARG_SRC, e.src}, {DNNL_ARG_DST, e.dst}, {DNNL_ARG_MEAN, e.mean},
                             {DNNL_ARG_VARIANCE, e.var}, {DNNL_ARG_SCALE, e.scale}, {DNNL_ARG_SHIFT, e.shift}});
    stream().wait();
}

void layernorm_backward(const float* src, const float* gamma, const float* beta, const float* mean, const float* var,
                        const float* diff_dst, float* diff_src, float* diff_gamma, float* diff_beta, int64_t rows,
                        int64_t cols, float eps) {
    auto& e = layernorm_entry(rows, cols, eps);
    if (!e.has_bwd) {
        const auto md = md2(rows, cols);
        dnnl::layer_normalization_backward::primitive_desc pd(
            dnnl::layer_normalization_backward::desc(dnnl::prop_kind::backward, md, md, eps, kLnFlags), engine(),
            e.fwd_pd);
        e.bwd = dnnl::layer_normalization_backward(pd);
        e.has_bwd = true;
        ++g_created;
    }
    e.src.set_data_handle(mut(src));
    e.mean.set_data_handle(mut(mean));
    e.var.set_data_handle(mut(var));
    e.scale.set_data_handle(mut(gamma));
    e.shift.set_data_handle(mut(beta));  // not read, but 2.6 wants the argument bound
    e.diff_dst.set_data_handle(mut(diff_dst));
    e.diff_src.set_data_handle(diff_src);
    e.diff_scale.set_data_handle(diff_gamma);
    e.diff_shift.set_data_handle(diff_beta);
    e.bwd.execute(stream(), {{DNNL_ARG_SRC, e.src}, {DNNL_ARG_MEAN, e.mean}, {DNNL_ARG_VARIANCE, e.var},
                             {DNNL_ARG_SCALE, e.scale}, {DNNL_ARG_SHIFT, e.shift}, {DNNL_ARG_DIFF_DST, e.diff_dst},
                             {DNNL_ARG_DIFF_SRC, e.diff_src}, {DNNL_ARG_DIFF_SCALE, e.diff_scale},
                             {DNNL_ARG_DIFF_SHIFT, e.diff_shift}});
    stream().wait();
}

}  // namespace altup::dnn
