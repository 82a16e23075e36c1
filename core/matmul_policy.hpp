// Which oneDNN implementation each kind of matrix product runs on: the one
// place that decides it (docs/performance.md, "The implementation rule").
// The choice is a fixed function of the ISA oneDNN reports, never of timings
// taken at run time, so a run, its repetition and its resumption on the same
// CPU take the same kernels and give the same bits.
#pragma once
#include <string>

#include <oneapi/dnnl/dnnl.hpp>

namespace altup::dnn {

// The kinds of product the engine runs (core/dnn_matmul.cpp and dnn_strided.cpp route each call):
//   f32           fixed shape, f32 inputs: a cached primitive (linear layers,
//                 bmm, attention's strided 4-D products).
//   f32-runtime   a dimension that changes from step to step (MoE experts) or
//                 is not a multiple of 16: dnnl_sgemm, no primitive at all.
//   bf16          fixed shape, bf16 inputs: a cached primitive.
//   bf16-runtime  MoE experts in bf16: one primitive per kind of product whose
//                 dimensions are all given at run time (DNNL_RUNTIME_DIM_VAL).
enum class ProductKind { f32_fixed, f32_runtime, bf16_fixed, bf16_runtime };
inline constexpr ProductKind kProductKinds[] = {ProductKind::f32_fixed, ProductKind::f32_runtime, ProductKind::bf16_fixed,
                                                ProductKind::bf16_runtime};
const char* kind_name(ProductKind k);  // "f32", "f32-runtime", "bf16", "bf16-runtime"

// An implementation: oneDNN's first choice for the product (the first entry
// of its primitive descriptor iterator), one named by its impl_info_str
// (e.g. "gemm:jit"), or the dnnl_sgemm routine.
struct MatmulImpl {
    enum class Source { onednn_first, named, sgemm };
    Source source = Source::onednn_first;
    std::string name;  // Source::named only

    static MatmulImpl onednn_first() { return {Source::onednn_first, {}}; }
    static MatmulImpl named_impl(std::string n) { return {Source::named, std::move(n)}; }
    static MatmulImpl sgemm() { return {Source::sgemm, {}}; }
    // "onednn-first", the name itself, or "sgemm".
    std::string label() const;
    // What dnn::matmul_pd takes: the name, or null for oneDNN's first choice.
    const char* impl_or_null() const { return source == Source::named ? name.c_str() : nullptr; }
    bool operator==(const MatmulImpl& o) const { return source == o.source && name == o.name; }
};

struct MatmulPolicy {
    MatmulImpl f32_fixed, f32_runtime, bf16_fixed, bf16_runtime;
    // false: this CPU has no bf16 matmul in oneDNN; bf16 products multiply
    // their bf16-rounded inputs, widened exactly to f32, on the f32 kernels
    // (same values and f32 accumulation, no speed-up).
    bool bf16_native = true;
    const MatmulImpl& of(ProductKind k) const;
    // One line naming each kind's implementation, e.g.
    // "f32:onednn-first f32-runtime:sgemm bf16:gemm:jit bf16-runtime:gemm:jit".
    std::string describe() const;
};

// Whether an ISA value includes AMX's tile and bf16 instructions
// (avx512_core_amx, or a later ISA that contains it).
bool has_amx(dnnl::cpu_isa isa);
// Whether it includes AVX-512 (avx512_core): what oneDNN 2.6's bf16 matmuls need.
bool has_avx512_core(dnnl::cpu_isa isa);

// The rule, a pure function of the ISA (unit-tested for both CPU kinds):
//   - f32 products never change: oneDNN's first choice (brgemm) for fixed
//     shapes, dnnl_sgemm for run-time-sized ones, on every CPU. Any change
//     there would move every f32 run's bits.
//   - bf16 without AMX (AMD EPYC Zen 4/5, avx512_core_bf16): gemm:jit for
//     both kinds. Measured with bench_matmul on that machine: gemm:jit runs
//     1.01-1.26x faster than brgemm (brg:avx512_core_bf16) on all twelve
//     products of the small preset's linear layers.
//   - bf16 without AVX-512 (AMD EPYC Zen 3, avx2): oneDNN 2.6 has no bf16
//     matmul there (creating one fails), so bf16 is emulated: inputs rounded
//     to bf16 as everywhere, then widened to f32 (exact) and multiplied on
//     the f32 kinds' implementations. Quality experiments in bf16 run and
//     mean the same; bf16 is no faster than f32 on such a CPU.
//   - bf16 with AMX (Intel Xeon 5th gen): fixed shapes take oneDNN's first
//     choice, AMX brgemm (brg:avx512_core_amx_bf16); measured there, gemm:jit
//     reached only 0.55-0.63x of it on every forward product and 0.60x on one
//     input gradient (the rest 0.88-1.14x), and the first choice made the
//     bf16 step 0.85 (baseline) and 0.89 (AltUp K=2) of the gemm:jit step.
//     Run-time-sized ones stay on gemm:jit: in oneDNN 2.6 brgemm refuses run-
//     time dimensions, and the gemm-based matmul is the only fast one that
//     accepts them.
MatmulPolicy matmul_policy_for(dnnl::cpu_isa isa);

// This process's rule: matmul_policy_for(dnnl::get_effective_cpu_isa()),
// decided on first use.
const MatmulPolicy& matmul_policy();
// Tests only: run bf16 products emulated (as on a CPU without AVX-512) from
// now on, or back to the rule. Call before any bf16 product is made: cached
// primitives keep the form they were made with.
void emulate_bf16_for_tests(bool on);

}  // namespace altup::dnn
