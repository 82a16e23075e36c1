// GFLOP/s of the engine's matmul op (forward, and forward + both backward
// products) at transformer shapes, beside the raw oneDNN primitive on the same
// shapes, so that the engine's own overhead is visible.
//   build/bench/bench_matmul            (threads: OMP_NUM_THREADS, default all)
#include <omp.h>

#include <cstdio>

#include <oneapi/dnnl/dnnl.hpp>

#include "bench/bench_util.hpp"
#include "core/dnn.hpp"
#include "core/ops.hpp"
#include "core/rng.hpp"

using namespace altup;

int main() {
    struct Case { int64_t M, K, N; };
    const Case cases[] = {{2048, 256, 1024}, {2048, 1024, 256}, {2048, 256, 8192}, {2048, 256, 768}};
    std::printf("threads %d, oneDNN %s, ISA %s\n\n", omp_get_max_threads(), dnn::version_string().c_str(),
                dnn::isa_string().c_str());
    std::printf("%-22s %12s %12s %14s %12s\n", "shape (MxK . KxN)", "raw GFLOP/s", "op GFLOP/s", "fwd+bwd GF/s", "overhead");
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
        dnnl::matmul prim(dnnl::matmul::primitive_desc(dnnl::matmul::desc(a_md, w_md, y_md), dnn::engine()));
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
        std::printf("%-22s %12.1f %12.1f %14.1f %11.1f%%\n", shape, flops / raw.median_ms / 1e6, flops / op.median_ms / 1e6,
                    3 * flops / fb.median_ms / 1e6, 100.0 * (op.median_ms / raw.median_ms - 1.0));
    }
    return 0;
}
