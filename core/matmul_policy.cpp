#include "core/matmul_policy.hpp"

#include <stdexcept>

namespace altup::dnn {

const char* kind_name(ProductKind k) {
    switch (k) {
        case ProductKind::f32_fixed: return "f32";
        case ProductKind::f32_runtime: return "f32-runtime";
        case ProductKind::bf16_fixed: return "bf16";
        case ProductKind::bf16_runtime: return "bf16-runtime";
    }
    throw std::logic_error("kind_name: unknown ProductKind");
}

std::string MatmulImpl::label() const {
    switch (source) {
        case Source::onednn_first: return "onednn-first";
        case Source::named: return name;
        case Source::sgemm: return "sgemm";
    }
    throw std::logic_error("MatmulImpl::label: unknown source");
}

const MatmulImpl& MatmulPolicy::of(ProductKind k) const {
    switch (k) {
        case ProductKind::f32_fixed: return f32_fixed;
        case ProductKind::f32_runtime: return f32_runtime;
        case ProductKind::bf16_fixed: return bf16_fixed;
        case ProductKind::bf16_runtime: return bf16_runtime;
    }
    throw std::logic_error("MatmulPolicy::of: unknown ProductKind");
}

std::string MatmulPolicy::describe() const {
    std::string out;
    for (ProductKind k : kProductKinds) out += (out.empty() ? "" : " ") + std::string(kind_name(k)) + ":" + of(k).label();
    return bf16_native ? out : out + " (bf16 emulated on f32)";
}

bool has_amx(dnnl::cpu_isa isa) {
    // ISA values are bit sets, each containing the ones it extends.
    const auto amx = unsigned(dnnl::cpu_isa::avx512_core_amx);
    return (unsigned(isa) & amx) == amx;
}

bool has_avx512_core(dnnl::cpu_isa isa) {
    const auto avx512 = unsigned(dnnl::cpu_isa::avx512_core);
    return (unsigned(isa) & avx512) == avx512;
}

MatmulPolicy matmul_policy_for(dnnl::cpu_isa isa) {
    // The gemm-based matmul's impl_info_str in oneDNN 2.6, for bf16 as for f32.
    const MatmulImpl gemm_jit = MatmulImpl::named_impl("gemm:jit");
    MatmulPolicy p;
    p.f32_fixed = MatmulImpl::onednn_first();
    p.f32_runtime = MatmulImpl::sgemm();
    p.bf16_native = has_avx512_core(isa);
    if (!p.bf16_native) {  // emulated: the f32 kinds' implementations
        p.bf16_fixed = p.f32_fixed;
        p.bf16_runtime = p.f32_runtime;
        return p;
    }
    p.bf16_fixed = has_amx(isa) ? MatmulImpl::onednn_first() : gemm_jit;
    p.bf16_runtime = gemm_jit;
    return p;
}

namespace {
MatmulPolicy& process_policy() {
    static MatmulPolicy p = matmul_policy_for(dnnl::get_effective_cpu_isa());
    return p;
}
}  // namespace

const MatmulPolicy& matmul_policy() { return process_policy(); }

void emulate_bf16_for_tests(bool on) {
    MatmulPolicy& p = process_policy();
    p = matmul_policy_for(dnnl::get_effective_cpu_isa());
    if (on && p.bf16_native) {
        p.bf16_native = false;
        p.bf16_fixed = p.f32_fixed;
        p.bf16_runtime = p.f32_runtime;
    }
}

}  // namespace altup::dnn
