// The matmul implementation rule (core/matmul_policy.hpp): its value for both
// CPU kinds the project runs on, given as ISA values (no such CPU needed), and
// on this machine, that the primitives the engine creates are the ones the
// rule names (their impl_info_str), and the CPU model helper (util/cpu_info).
#include <catch2/catch.hpp>

#include <set>
#include <string>

#include "core/dnn.hpp"
#include "core/kernels.hpp"
#include "core/matmul_policy.hpp"
#include "core/ops.hpp"
#include "core/rng.hpp"
#include "util/cpu_info.hpp"

using namespace altup;
using dnn::MatmulImpl;
using dnn::ProductKind;

namespace {
Tensor random(const Shape& s, Rng& rng) {
    Tensor t = Tensor::empty(s);
    for (int64_t i = 0; i < t.numel(); ++i) t.data()[i] = float(rng.uniform() * 2.0 - 1.0);
    return t;
}

// oneDNN's own first choice for a product of shape s (batch 1, no bias,
// alpha 1), described as the engine describes its products ([1, rows, cols],
// transposes as strides): a primitive descriptor made here, not by the engine.
std::string first_choice(const dnn::MatmulShape& s, bool bf16, bool accumulate) {
    using dt = dnnl::memory::data_type;
    using dims = dnnl::memory::dims;
    const dt in = bf16 ? dt::bf16 : dt::f32;
    const dnnl::memory::desc a({1, s.M, s.K}, in, s.trans_a ? dims{s.M * s.K, 1, s.M} : dims{s.M * s.K, s.K, 1}),
        b({1, s.K, s.N}, in, s.trans_b ? dims{s.K * s.N, 1, s.K} : dims{s.K * s.N, s.N, 1}),
        c({1, s.M, s.N}, dt::f32, dims{s.M * s.N, s.N, 1});
    dnnl::primitive_attr attr;
    if (accumulate) {
        dnnl::post_ops po;
        po.append_sum(1.0f);
        attr.set_post_ops(po);
    }
    return dnnl::matmul::primitive_desc(dnnl::matmul::desc(a, b, c), attr, dnn::engine()).impl_info_str();
}
}  // namespace

TEST_CASE("matmul rule: an AMX CPU (Intel Xeon) takes oneDNN's first choice for fixed-shape bf16 products",
          "[core][matmul_policy]") {
    CHECK(dnn::has_amx(dnnl::cpu_isa::avx512_core_amx));
    const dnn::MatmulPolicy p = dnn::matmul_policy_for(dnnl::cpu_isa::avx512_core_amx);
    CHECK(p.f32_fixed == MatmulImpl::onednn_first());
    CHECK(p.f32_runtime == MatmulImpl::sgemm());
    CHECK(p.bf16_fixed == MatmulImpl::onednn_first());
    CHECK(p.bf16_runtime == MatmulImpl::named_impl("gemm:jit"));  // brgemm refuses run-time dimensions in 2.6
    CHECK(p.describe() == "f32:onednn-first f32-runtime:sgemm bf16:onednn-first bf16-runtime:gemm:jit");
}

TEST_CASE("matmul rule: CPUs without AMX (AMD EPYC, avx512_core_bf16) multiply bf16 on gemm:jit", "[core][matmul_policy]") {
    for (dnnl::cpu_isa isa : {dnnl::cpu_isa::avx512_core_bf16, dnnl::cpu_isa::avx512_core_vnni, dnnl::cpu_isa::avx512_core}) {
        INFO("isa " << unsigned(isa));
        CHECK_FALSE(dnn::has_amx(isa));
        CHECK(dnn::has_avx512_core(isa));
        const dnn::MatmulPolicy p = dnn::matmul_policy_for(isa);
        CHECK(p.bf16_native);
        CHECK(p.f32_fixed == MatmulImpl::onednn_first());
        CHECK(p.f32_runtime == MatmulImpl::sgemm());
        CHECK(p.bf16_fixed == MatmulImpl::named_impl("gemm:jit"));
        CHECK(p.bf16_runtime == MatmulImpl::named_impl("gemm:jit"));
        CHECK(p.describe() == "f32:onednn-first f32-runtime:sgemm bf16:gemm:jit bf16-runtime:gemm:jit");
    }
    CHECK(std::string(MatmulImpl::named_impl("gemm:jit").impl_or_null()) == "gemm:jit");
    CHECK(MatmulImpl::onednn_first().impl_or_null() == nullptr);
}

TEST_CASE("matmul rule: CPUs without AVX-512 (AMD EPYC Zen 3, avx2) emulate bf16 on the f32 implementations",
          "[core][matmul_policy]") {
    for (dnnl::cpu_isa isa : {dnnl::cpu_isa::avx2_vnni, dnnl::cpu_isa::avx2, dnnl::cpu_isa::avx, dnnl::cpu_isa::sse41}) {
        INFO("isa " << unsigned(isa));
        CHECK_FALSE(dnn::has_avx512_core(isa));
        const dnn::MatmulPolicy p = dnn::matmul_policy_for(isa);
        CHECK_FALSE(p.bf16_native);
        CHECK(p.bf16_fixed == MatmulImpl::onednn_first());
        CHECK(p.bf16_runtime == MatmulImpl::sgemm());
        CHECK(p.describe() == "f32:onednn-first f32-runtime:sgemm bf16:onednn-first bf16-runtime:sgemm (bf16 emulated on f32)");
    }
}

namespace {
// A . B^T of the bf16 roundings of a and b, summed in double: what a bf16
// product with f32 accumulation computes, up to the order of the sums.
std::vector<double> rounded_product(const std::vector<float>& a, const std::vector<float>& b, int64_t M, int64_t N, int64_t K) {
    auto r = [](float v) { return double(altup::kernels::widen_bf16(altup::kernels::round_bf16(v))); };
    std::vector<double> c(size_t(M * N), 0.0);
    for (int64_t i = 0; i < M; ++i)
        for (int64_t j = 0; j < N; ++j)
            for (int64_t k = 0; k < K; ++k) c[size_t(i * N + j)] += r(a[size_t(i * K + k)]) * r(b[size_t(j * K + k)]);
    return c;
}
}  // namespace

TEST_CASE("bf16 products multiply the bf16-rounded inputs: native or emulated on f32", "[core][matmul_policy][bf16]") {
    Rng rng(9);
    const int64_t M = 32, N = 48, K = 64;
    Tensor a = random({M, K}, rng), b = random({N, K}, rng);
    const std::vector<double> expected = rounded_product(a.to_vector(), b.to_vector(), M, N, K);
    for (bool emulate : {false, true}) {
        INFO((emulate ? "emulated" : "this CPU's rule"));
        dnn::emulate_bf16_for_tests(emulate);
        for (bool vary : {false, true}) {
            INFO((vary ? "run-time-sized" : "fixed shape"));
            const auto s = dnn::MatmulShape::of(1, M, N, K).with_trans_b(true).with_varying(vary).with_precision(Precision::bf16);
            REQUIRE(dnn::uses_bf16(s));
            std::vector<uint16_t> a16(size_t(M * K)), b16(size_t(N * K));
            dnn::to_bf16(a.data(), a16.data(), M * K);
            dnn::to_bf16(b.data(), b16.data(), N * K);
            std::vector<float> c(size_t(M * N), 0.0f), c_rounding(size_t(M * N), 0.0f);
            dnn::matmul_bf16(s, a16.data(), b16.data(), c.data());
            // Fixed shapes: matmul rounds its f32 inputs itself (run-time-sized ones
            // it multiplies in f32; the ops send those to matmul_bf16).
            if (!vary) dnn::matmul(s, a.data(), b.data(), c_rounding.data());
            for (size_t i = 0; i < c.size(); ++i) {
                REQUIRE(c[i] == Approx(expected[i]).margin(1e-4));
                if (!vary) REQUIRE(c_rounding[i] == Approx(expected[i]).margin(1e-4));
            }
            const std::string impl = dnn::implementation_of(s);
            CHECK((impl.find("(bf16 emulated)") != std::string::npos) == !dnn::matmul_policy().bf16_native);
        }
    }
    dnn::emulate_bf16_for_tests(false);
    CHECK(dnn::matmul_policy().bf16_native == dnn::has_avx512_core(dnnl::get_effective_cpu_isa()));
}

TEST_CASE("matmul rule: this process's rule is the one for the ISA oneDNN reports", "[core][matmul_policy]") {
    const dnn::MatmulPolicy expected = dnn::matmul_policy_for(dnnl::get_effective_cpu_isa());
    for (ProductKind k : dnn::kProductKinds) CHECK(dnn::matmul_policy().of(k) == expected.of(k));
}

TEST_CASE("matmul rule: the engine's primitives run on the implementations the rule names", "[core][matmul_policy]") {
    const dnn::MatmulPolicy& rule = dnn::matmul_policy();
    // What a product of the given kind must report: the rule's name, oneDNN's
    // first choice for that descriptor, or sgemm.
    auto expected = [&](ProductKind kind, const dnn::MatmulShape& s, bool accumulate) -> std::string {
        const MatmulImpl& impl = rule.of(kind);
        const bool bf16 = kind == ProductKind::bf16_fixed || kind == ProductKind::bf16_runtime;
        const std::string suffix = bf16 && !rule.bf16_native ? " (bf16 emulated)" : "";
        if (impl.source == MatmulImpl::Source::sgemm) return "sgemm" + suffix;
        if (impl.source == MatmulImpl::Source::named) return impl.name + suffix;
        return first_choice(s, kind == ProductKind::bf16_fixed && rule.bf16_native, accumulate) + suffix;
    };
    struct Case {
        const char* what;
        dnn::MatmulShape s;
        bool accumulate;
    };
    const Case cases[] = {
        {"Y = X W^T", dnn::MatmulShape::linear_forward(64, 96, 128, false), false},
        {"dX = dY W", dnn::MatmulShape::linear_input_grad(64, 96, 128, false), false},
        {"dW += dY^T X", dnn::MatmulShape::linear_weight_grad(64, 96, 128, false), true},
        {"MoE Y = X W^T", dnn::MatmulShape::linear_forward(37, 96, 128, true), false},
        {"MoE dW += dY^T X", dnn::MatmulShape::linear_weight_grad(37, 96, 128, true), true},
    };
    for (const Case& c : cases) {
        INFO(c.what);
        CHECK(dnn::implementation_of(c.s.with_precision(Precision::f32), false, 1.0f, c.accumulate) ==
              expected(c.s.varying ? ProductKind::f32_runtime : ProductKind::f32_fixed, c.s, c.accumulate));
        CHECK(dnn::implementation_of(c.s.with_precision(Precision::bf16), false, 1.0f, c.accumulate) ==
              expected(c.s.varying ? ProductKind::bf16_runtime : ProductKind::bf16_fixed, c.s, c.accumulate));
    }
    // A shape whose dimension is not a multiple of 16 runs on sgemm in both precisions.
    const auto odd = dnn::MatmulShape::of(1, 30, 96, 128).with_trans_b(true);
    CHECK(dnn::implementation_of(odd) == "sgemm");
    CHECK(dnn::implementation_of(odd.with_precision(Precision::bf16)) == "sgemm");
}

TEST_CASE("matmul rule: after real training ops in both precisions, every primitive is on its kind's implementation",
          "[core][matmul_policy]") {
    Rng rng(5);
    const int64_t B = 2, T = 16, H = 2, d = 32;
    for (Precision prec : {Precision::f32, Precision::bf16}) {
        Var x = leaf(random({B * T, d}, rng), true), w_qkv = leaf(random({3 * d, d}, rng), true),
            b_qkv = leaf(random({3 * d}, rng), true), w_e = leaf(random({d, d}, rng), true), b_e = leaf(random({d}, rng), true);
        Var att = causal_attention(linear(x, w_qkv, b_qkv, Rows::fixed, prec), B, T, H, prec);  // linear layers and attention's strided products
        // An MoE expert's products: run-time-sized.
        Var expert = linear(gather_rows(att, {0, 3, 5, 7, 8, 11, 20}), w_e, b_e, Rows::varying, prec);
        backward(sum(expert));
    }
    const dnn::MatmulPolicy& rule = dnn::matmul_policy();
    std::set<ProductKind> seen;
    for (const dnn::ImplUse& u : dnn::matmul_impls_used()) {
        INFO(dnn::kind_name(u.kind) << ": " << u.impl);
        seen.insert(u.kind);
        CHECK(u.count > 0);
        const MatmulImpl& impl = rule.of(u.kind);
        const bool bf16 = u.kind == ProductKind::bf16_fixed || u.kind == ProductKind::bf16_runtime;
        const std::string suffix = bf16 && !rule.bf16_native ? " (bf16 emulated)" : "";
        if (impl.source == MatmulImpl::Source::named) CHECK(u.impl == impl.name + suffix);
        if (impl.source == MatmulImpl::Source::sgemm) CHECK(u.impl == "sgemm" + suffix);
        if (impl.source == MatmulImpl::Source::onednn_first) CHECK(u.impl.rfind("sgemm", 0) != 0);
    }
    // Each of the four kinds ran (f32 experts on sgemm, bf16 experts on a run-time-sized primitive,
    // or on sgemm where bf16 is emulated).
    CHECK(seen == std::set<ProductKind>(std::begin(dnn::kProductKinds), std::end(dnn::kProductKinds)));
    CHECK(dnn::matmul_impls_summary().find(std::string("bf16-runtime: ") + rule.bf16_runtime.label()) != std::string::npos);
}

TEST_CASE("cpu model: the first processor's model name from /proc/cpuinfo text", "[core][cpu_info]") {
    const std::string amd =
        "processor\t: 0\nvendor_id\t: AuthenticAMD\ncpu family\t: 25\nmodel\t\t: 17\nmodel name\t: AMD EPYC \n"
        "flags\t\t: fpu avx512f avx512_bf16\n\nprocessor\t: 1\nmodel name\t: Other\n";
    CHECK(cpu_model_from_cpuinfo(amd) == "AMD EPYC");  // the first one, trailing blank dropped; "model" alone is not it
    CHECK(cpu_model_from_cpuinfo("model name\t: INTEL(R) XEON(R) PLATINUM 8581C\r\n") == "INTEL(R) XEON(R) PLATINUM 8581C");
    CHECK(cpu_model_from_cpuinfo("processor : 0\nBogoMIPS : 50.00\nCPU implementer : 0x41\n") == "unknown");
    CHECK(cpu_model_from_cpuinfo("") == "unknown");
    CHECK(cpu_model_from_cpuinfo("model name\t:\n") == "unknown");
    CHECK_FALSE(cpu_model().empty());
}
