// GFLOP/s of the engine's matmul op (forward, and forward + both backward
// products) at transformer shapes, beside the raw oneDNN primitive on the same
// shapes, so that the engine's own overhead is visible; then each of a linear
// layer's three products (Y = X.W^T, dX = dY.W, dW = dY^T.X) alone, in f32 and
// in bf16 on inputs already rounded, since their layouts differ in speed; and
// each bf16 product on oneDNN's first choice and on its gemm-based matmul, the
// two the implementation rule (core/matmul_policy.hpp) chooses between. The
// header names the CPU, oneDNN's ISA and the rule; a table lists the
// implementation each of the engine's products actually ran on.
//   build/bench/bench_matmul            (threads: OMP_NUM_THREADS, default all)
#include <omp.h>

#include <cstdio>
#include <vector>

#include <oneapi/dnnl/dnnl.hpp>

#include "bench/bench_util.hpp"
#include "core/dnn.hpp"
#include "core/ops.hpp"
#include "core/rng.hpp"
#include "util/cpu_info.hpp"

using namespace altup;

int main() {
    struct Case { int64_t M, K, N; };
    const Case cases[] = {{2048, 256, 1024}, {2048, 1024, 256}, {2048, 256, 8192}, {2048, 256, 768}};
    std::printf("CPU %s, threads %d, oneDNN %s, ISA %s\nmatmul rule: %s\n\n", cpu_model().c_str(), omp_get_max_threads(),
                dnn::version_string().c_str(), dnn::isa_string().c_str(), dnn::matmul_policy().describe().c_str());
    std::printf("%-22s %12s %12s %14s %12s  %s\n", "shape (MxK . KxN)", "raw GFLOP/s", "op GFLOP/s", "fwd+bwd GF/s", "overhead",
                "raw impl");
    Rng rng(1);
    for (const auto& c : cases) {
        Tensor a = Tensor::empty({c.M, c.K}), w = Tensor::empty({c.N, c.K}), y = Tensor::empty({c.M, c.N});
        for (int64_t i = 0; i < a.numel(); ++i) a.data()[i] = float(rng.normal());
        for (int64_t i = 0; i < w.numel(); ++i) w.data()[i] = float(rng.normal()) * 0.05f;
        const double flops = 2.0 * double(c.M) * double(c.N) * double(c.K);

        // Raw primitive: Y = A . W^T with W stored [N, K], created once.
        using dt = dnnl::memory::data_type;
        dnnl::memory::desc a_md({c.M, c.K}, dt::f32, dnnl::memory::format_tag::ab);
        dnnl::memory::desc w_md({c.K, c.N}, dt::f32, dnnl::memory::format_tag::ba);
        dnnl::memory::desc y_md({c.M, c.N}, dt::f32, dnnl::memory::format_tag::ab);
        const auto raw_pd = dnn::matmul_pd(dnnl::matmul::desc(a_md, w_md, y_md), dnnl::primitive_attr(), dnn::ProductKind::f32_fixed);
        dnnl::matmul prim(raw_pd);
        dnnl::memory am(a_md, dnn::engine(), a.data()), wm(w_md, dnn::engine(), w.data()), ym(y_md, dnn::engine(), y.data());
        auto raw = bench::time_it([&] {
            prim.execute(dnn::stream(), {{DNNL_ARG_SRC, am}, {DNNL_ARG_WEIGHTS, wm}, {DNNL_ARG_DST, ym}});
            dnn::stream().wait();
        }, 3, 20);

        Var x = leaf(a), weight = leaf(w, true);
        auto op = bench::time_it([&] { NoGradGuard ng; (void)matmul(x, weight, true); }, 3, 20);
        Var xg = leaf(a, true);
        auto fb = bench::time_it([&] {
            Var out = matmul(xg, weight, true);
            out->grad = Tensor::full(out->value.shape(), 1.0f);
            // Run the op's backward directly (both products), as the tape would.
            out->backward(*out);
            clear_tape();
        }, 2, 10);
        char shape[64];
        std::snprintf(shape, sizeof shape, "%ldx%ld . %ldx%ld", long(c.M), long(c.K), long(c.K), long(c.N));
        std::printf("%-22s %12.1f %12.1f %14.1f %11.1f%%  %s\n", shape, flops / raw.median_ms / 1e6, flops / op.median_ms / 1e6,
                    3 * flops / fb.median_ms / 1e6, 100.0 * (op.median_ms / raw.median_ms - 1.0), raw_pd.impl_info_str());
    }

    std::printf("\nper product, GFLOP/s (inputs rounded beforehand for bf16)\n");
    std::printf("%-22s %10s %10s %10s %10s %10s %10s %10s %10s\n", "shape (MxK . KxN)", "Y f32", "dX f32", "dW f32",
                "dW+= f32", "Y bf16", "dX bf16", "dW bf16", "dW+= bf16");
    for (const auto& c : cases) {
        const int64_t M = c.M, K = c.K, N = c.N;
        Tensor x = Tensor::empty({M, K}), w = Tensor::empty({N, K}), dy = Tensor::empty({M, N});
        Tensor y = Tensor::empty({M, N}), dx = Tensor::empty({M, K}), dw = Tensor::empty({N, K});
        for (Tensor* t : {&x, &w, &dy})
            for (int64_t i = 0; i < t->numel(); ++i) t->data()[i] = float(rng.normal());
        std::vector<uint16_t> x16(M * K), w16(N * K), dy16(M * N);
        dnn::to_bf16(x.data(), x16.data(), M * K);
        dnn::to_bf16(w.data(), w16.data(), N * K);
        dnn::to_bf16(dy.data(), dy16.data(), M * N);
        const auto fwd = dnn::MatmulShape::linear_forward(M, N, K, false),
                   bx = dnn::MatmulShape::linear_input_grad(M, N, K, false),
                   bw = dnn::MatmulShape::linear_weight_grad(M, N, K, false);
        const double gf = 2.0 * double(M) * double(N) * double(K) / 1e6;
        auto rate = [&](auto&& f) { return gf / bench::time_it(f, 3, 20).median_ms; };
        // dW+=: accumulated into the gradient (a sum post-op), as parameter gradients are.
        double r[8];
        r[0] = rate([&] { dnn::matmul(fwd, x.data(), w.data(), y.data()); });
        r[1] = rate([&] { dnn::matmul(bx, dy.data(), w.data(), dx.data()); });
        r[2] = rate([&] { dnn::matmul(bw, dy.data(), x.data(), dw.data()); });
        r[3] = rate([&] { dnn::matmul(bw, dy.data(), x.data(), dw.data(), nullptr, 1.0f, true); });
        r[4] = rate([&] { dnn::matmul_bf16(fwd, x16.data(), w16.data(), y.data()); });
        r[5] = rate([&] { dnn::matmul_bf16(bx, dy16.data(), w16.data(), dx.data()); });
        r[6] = rate([&] { dnn::matmul_bf16(bw, dy16.data(), x16.data(), dw.data()); });
        r[7] = rate([&] { dnn::matmul_bf16(bw, dy16.data(), x16.data(), dw.data(), nullptr, 1.0f, true); });
        char shape[64];
        std::snprintf(shape, sizeof shape, "%ldx%ld . %ldx%ld", long(M), long(K), long(K), long(N));
        std::printf("%-22s %10.1f %10.1f %10.1f %10.1f %10.1f %10.1f %10.1f %10.1f\n", shape, r[0], r[1], r[2], r[3], r[4],
                    r[5], r[6], r[7]);
    }

    // What each of those products ran on (the primitives the engine created for
    // them), and a linear layer's products in an MoE expert, whose token count
    // varies (run-time-sized).
    std::printf("\nimplementation of each product (impl_info_str of the engine's primitives)\n");
    std::printf("%-22s %-8s %-28s %s\n", "shape (MxK . KxN)", "product", "f32", "bf16");
    for (const auto& c : cases) {
        for (bool varying : {false, true}) {
            if (varying && &c != &cases[0]) continue;
            const auto fwd = dnn::MatmulShape::linear_forward(c.M, c.N, c.K, varying),
                       bx = dnn::MatmulShape::linear_input_grad(c.M, c.N, c.K, varying),
                       bw = dnn::MatmulShape::linear_weight_grad(c.M, c.N, c.K, varying);
            struct Named { const char* name; dnn::MatmulShape s; bool acc; };
            const Named products[] = {{"Y", fwd, false}, {"dX", bx, false}, {"dW", bw, false}, {"dW+=", bw, true}};
            char shape[64];
            std::snprintf(shape, sizeof shape, "%ldx%ld . %ldx%ld", long(c.M), long(c.K), long(c.K), long(c.N));
            for (const auto& p : products) {
                std::string impl[2];
                for (int i = 0; i < 2; ++i)
                    impl[i] = dnn::implementation_of(p.s.with_precision(i == 0 ? Precision::f32 : Precision::bf16), false,
                                                     1.0f, p.acc);
                const std::string product = std::string(p.name) + (varying ? " MoE" : "");  // MoE: run-time-sized
                std::printf("%-22s %-8s %-28s %s\n", shape, product.c_str(), impl[0].c_str(), impl[1].c_str());
            }
        }
    }

    // bf16 products on the two implementations the rule chooses between:
    // oneDNN's first choice (brgemm: AMX tiles where the CPU has them) and its
    // gemm-based matmul.
    const char* gemm_jit = "gemm:jit";
    if (!dnn::matmul_policy().bf16_native)
        std::printf("\nbf16 products by implementation: none on this CPU (oneDNN 2.6 has no bf16 matmul without"
                    " AVX-512; bf16 runs emulated on the f32 kernels)\n");
    else {
        std::printf("\nbf16 products by implementation, GFLOP/s (raw primitives; the rule takes %s for bf16)\n",
                    dnn::matmul_policy().bf16_fixed.label().c_str());
        std::printf("%-22s %-8s %10s %10s %8s  %s\n", "shape (MxK . KxN)", "product", "first", gemm_jit, "ratio", "first choice is");
        for (const auto& c : cases) {
            using dt = dnnl::memory::data_type;
            using tag = dnnl::memory::format_tag;
            struct Product { const char* name; int64_t M, K, N; tag a, b; };
            const Product products[] = {{"Y", c.M, c.K, c.N, tag::ab, tag::ba},    // X . W^T
                                        {"dX", c.M, c.N, c.K, tag::ab, tag::ab},   // dY . W
                                        {"dW", c.N, c.M, c.K, tag::ba, tag::ab}};  // dY^T . X
            for (const auto& p : products) {
                const dnnl::memory::desc a_md({p.M, p.K}, dt::bf16, p.a), b_md({p.K, p.N}, dt::bf16, p.b),
                    c_md({p.M, p.N}, dt::f32, tag::ab);
                std::vector<uint16_t> A(size_t(p.M * p.K)), B(size_t(p.K * p.N));
                dnn::to_bf16(std::vector<float>(A.size(), 0.5f).data(), A.data(), int64_t(A.size()));
                dnn::to_bf16(std::vector<float>(B.size(), 0.25f).data(), B.data(), int64_t(B.size()));
                std::vector<float> C(size_t(p.M * p.N));
                double gfs[2];
                std::string first;
                for (int i = 0; i < 2; ++i) {
                    const auto pd = dnn::matmul_pd(dnnl::matmul::desc(a_md, b_md, c_md), dnnl::primitive_attr(),
                                                   i == 0 ? nullptr : gemm_jit);
                    if (i == 0) first = pd.impl_info_str();
                    dnnl::matmul prim(pd);
                    dnnl::memory am(a_md, dnn::engine(), A.data()), bm(b_md, dnn::engine(), B.data()), cm(c_md, dnn::engine(), C.data());
                    const double ms = bench::time_it([&] {
                        prim.execute(dnn::stream(), {{DNNL_ARG_SRC, am}, {DNNL_ARG_WEIGHTS, bm}, {DNNL_ARG_DST, cm}});
                        dnn::stream().wait();
                    }, 3, 20).median_ms;
                    gfs[i] = 2.0 * double(p.M) * double(p.N) * double(p.K) / ms / 1e6;
                }
                char shape[64];
                std::snprintf(shape, sizeof shape, "%ldx%ld . %ldx%ld", long(p.M), long(p.K), long(p.K), long(p.N));
                std::printf("%-22s %-8s %10.1f %10.1f %7.2fx  %s\n", shape, p.name, gfs[0], gfs[1], gfs[1] / gfs[0], first.c_str());
            }
        }
    }  // bf16 implementations

    // The rounding every bf16 product's inputs go through (memory-bound).
    {
        const int64_t n = 2048 * 8192;  // the small preset's logits
        Tensor src = Tensor::empty({n});
        for (int64_t i = 0; i < n; ++i) src.data()[i] = float(rng.normal());
        std::vector<uint16_t> dst(n);
        const double ms = bench::time_it([&] { dnn::to_bf16(src.data(), dst.data(), n); }, 3, 20).median_ms;
        std::printf("\nto_bf16 of %ld floats: %.2f ms, %.1f GB/s\n", long(n), ms, 6.0 * double(n) / ms / 1e6);
    }
    std::printf("\nmatmul implementations the engine used: %s\n", dnn::matmul_impls_summary().c_str());
    return 0;
}
