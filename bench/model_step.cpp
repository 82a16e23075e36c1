// Forward + backward time per training step for the canonical variants at a
// preset (default `small`: d 256, 4 layers, V 8192, seq 128, batch 16), on
// random tokens: the model's cost without the data pipeline or the optimizer.
//   build/bench/bench_model_step [preset] [batch] [steps] [--profile]
// --profile adds each variant's per-op time breakdown (share of the step).
#include <omp.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "bench/bench_util.hpp"
#include "core/dnn.hpp"
#include "core/profiler.hpp"
#include "layers/model.hpp"

using namespace altup;

int main(int argc, char** argv) {
    const std::string preset = argc > 1 ? argv[1] : "small";
    const int64_t B = argc > 2 ? std::atoi(argv[2]) : 16;
    const int steps = argc > 3 ? std::atoi(argv[3]) : 10;
    const bool profile = argc > 4 && std::string(argv[4]) == "--profile";
    ModelConfig base;
    if (!apply_preset(preset, base)) { std::fprintf(stderr, "unknown preset %s\n", preset.c_str()); return 2; }
    const int64_t T = base.seq_len;
    struct Variant { const char* name; ModelConfig cfg; };
    std::vector<Variant> variants;
    variants.push_back({"baseline", base});
    ModelConfig c = base; c.width_mult = 2; variants.push_back({"dense-2x", c});
    c = base; c.altup.k = 2; variants.push_back({"altup-k2", c});
    c = base; c.altup.k = 4; variants.push_back({"altup-k4", c});
    c = base; c.altup.k = 2; c.altup.recycled = true; c.altup.output = AltUpOutput::sum; variants.push_back({"recycled-k2", c});
    c = base; c.moe.experts = 4; variants.push_back({"moe-e4", c});
    c = base; c.altup.k = 2; c.moe.experts = 4; variants.push_back({"altup-k2+moe-e4", c});
    c = base; c.sequence_altup.stride = 2; variants.push_back({"seq-altup-s2", c});

    std::printf("preset %s, B %ld, T %ld, threads %d, ISA %s\n\n", preset.c_str(), long(B), long(T), omp_get_max_threads(),
                dnn::isa_string().c_str());
    std::printf("%-18s %12s %10s %10s %10s %12s %10s\n", "variant", "params", "ms/step", "p10", "p90", "tokens/s", "GFLOP/s");
    Rng rng(1);
    std::vector<int32_t> ids(B * T), targets(B * T);
    for (auto& v : variants) {
        LanguageModel model(v.cfg, 1);
        for (size_t i = 0; i < ids.size(); ++i) {
            ids[i] = int32_t(rng.uniform_int(v.cfg.vocab));
            targets[i] = int32_t(rng.uniform_int(v.cfg.vocab));
        }
        auto t = bench::time_it([&] {
            ModelOutput out = model.forward(ids, targets, B, T);
            backward(out.loss);
            model.params().zero_grad();
        }, 2, steps);
        const double flops = 3.0 * model.forward_flops_per_token(T) * double(B * T);
        std::printf("%-18s %12ld %10.1f %10.1f %10.1f %12.0f %10.1f\n", v.name, long(model.param_counts().total), t.median_ms,
                    t.p10_ms, t.p90_ms, double(B * T) / (t.median_ms / 1000.0), flops / t.median_ms / 1e6);
        if (profile) {
            profiler::reset();
            profiler::enable(true);
            for (int i = 0; i < 3; ++i) {
                ModelOutput out = model.forward(ids, targets, B, T);
                backward(out.loss);
                model.params().zero_grad();
            }
            profiler::enable(false);
            std::vector<std::pair<double, std::string>> rows;
            double total = 0;
            for (const auto& [name, ms] : profiler::totals()) {
                rows.emplace_back(ms / 3, name);
                total += ms / 3;
            }
            std::sort(rows.rbegin(), rows.rend());
            for (const auto& [ms, name] : rows)
                if (ms / total > 0.005) std::printf("    %-26s %8.1f ms  %5.1f%%\n", name.c_str(), ms, 100 * ms / total);
        }
    }
    return 0;
}
