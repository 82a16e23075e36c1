// Full training steps (forward, backward, grad clip, AdamW) for the canonical
// configs, on random tokens, as the trainer runs them:
//   OMP_NUM_THREADS=2 build/bench/bench_train_step [--preset small] [--batch 16] [--steps 10]
//                                                  [--only NAME[,NAME]] [--dtype f32|bf16] [--profile[-all]] [--json]
//                                                  [--paired] [--warmup 3]
// Per config: tokens/s, ms/step (median, p10, p90), forward+backward alone,
// achieved GFLOP/s (model FLOPs counted analytically / time), that as a share
// of the matmul limit measured at start-up on this machine, resident memory
// and its growth over the timed steps, and with --profile the per-op shares.
// --paired instead steps the selected configs in turn (one step each per
// round) and reports each one's step time relative to the first config's in
// the same round: on a shared machine whose speed drifts by 5-10% over a
// minute, that ratio is what can be trusted to a percent or two. With
// --profile it also prints each config's per-op times side by side.
// The header names the CPU, oneDNN's ISA and the matmul implementation rule;
// the last line, the implementations the products actually ran on.
#include <omp.h>
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <cstdio>
#include <cstdlib>
#include <unistd.h>

#include <fstream>
#include <map>
#include <string>

#include <oneapi/dnnl/dnnl.hpp>

#include "bench/bench_util.hpp"
#include "core/dnn.hpp"
#include "core/optim.hpp"
#include "core/profiler.hpp"
#include "experiments/trainer/train_step.hpp"
#include "layers/model.hpp"
#include "util/cpu_info.hpp"
#include "util/quantile.hpp"

using namespace altup;

namespace {
double rss_mb() {  // current resident set, from /proc
    std::ifstream in("/proc/self/statm");
    long pages = 0, resident = 0;
    in >> pages >> resident;
    return double(resident) * double(sysconf(_SC_PAGESIZE)) / (1024.0 * 1024.0);
}

double pool_mb() { return double(tensor_bytes_in_use() + tensor_bytes_pooled()) / (1024.0 * 1024.0); }

double peak_rss_mb() {
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
    return double(u.ru_maxrss) / 1024.0;
}

double matmul_limit_gflops(bool bf16, const char* impl) {
    const int64_t M = 2048, K = 256, N = 1024;
    std::vector<float> a(M * K, 0.5f), w(N * K, 0.25f), y(M * N);  // bf16 reads the first half of each
    using dt = dnnl::memory::data_type;
    const dt in = bf16 ? dt::bf16 : dt::f32;
    dnnl::memory::desc a_md({M, K}, in, dnnl::memory::format_tag::ab), w_md({K, N}, in, dnnl::memory::format_tag::ba),
        y_md({M, N}, dt::f32, dnnl::memory::format_tag::ab);
    dnnl::matmul prim(dnn::matmul_pd(dnnl::matmul::desc(a_md, w_md, y_md), dnnl::primitive_attr(), impl));
    dnnl::memory am(a_md, dnn::engine(), a.data()), wm(w_md, dnn::engine(), w.data()), ym(y_md, dnn::engine(), y.data());
    auto t = bench::time_it([&] {
        prim.execute(dnn::stream(), {{DNNL_ARG_SRC, am}, {DNNL_ARG_WEIGHTS, wm}, {DNNL_ARG_DST, ym}});
        dnn::stream().wait();
    }, 5, 30);
    return 2.0 * M * N * K / t.median_ms / 1e6;
}

// GFLOP/s of one matmul primitive at a transformer shape with f32 or bf16
// inputs (f32 output): the practical limit. In bf16 the faster of oneDNN's
// first choice and the implementation the rule names for bf16 products, when
// that is another one (gemm:jit without AMX).
double matmul_limit_gflops(bool bf16) {
    // Emulated bf16 multiplies on the f32 kernels: f32's limit is its limit.
    if (bf16 && !dnn::matmul_policy().bf16_native) return matmul_limit_gflops(false);
    const double first = matmul_limit_gflops(bf16, nullptr);
    const char* engine_impl = dnn::matmul_policy().bf16_fixed.impl_or_null();
    return bf16 && engine_impl ? std::max(first, matmul_limit_gflops(bf16, engine_impl)) : first;
}

// Where the numbers come from: the CPU, oneDNN's ISA, the implementation rule.
void print_machine() {
    std::printf("CPU %s, oneDNN %s, ISA %s, matmul rule: %s\n", cpu_model().c_str(), dnn::version_string().c_str(),
                dnn::isa_string().c_str(), dnn::matmul_policy().describe().c_str());
}
struct Variant {
    std::string name;
    ModelConfig cfg;
    bool bf16 = false;  // --paired --dtype both: each config in f32 and in bf16
};

Config trainee_config(const ModelConfig& cfg, int64_t B, Precision p) {
    Config c;  // AdamW (0.9, 0.999, 1e-8, 0.01), clip 1, no accumulation: the defaults
    c.model = cfg;
    c.train.batch = int(B);
    c.train.dtype = p;
    c.seed = 1;
    return c;
}

// A model, its optimizer and random tokens, stepped with the trainer's own step.
struct Trainee {
    Config cfg;
    LanguageModel model;
    AdamW opt;
    TrainStep train_step;
    std::vector<int32_t> ids, targets;
    int64_t B, T;
    Trainee(const ModelConfig& m, int64_t b, int64_t t, Precision p, Rng& rng)
        : cfg(trainee_config(m, b, p)), model(m, 1, p), opt(model.params(), 0.9, 0.999, 1e-8, 0.01),
          train_step(model, opt, distributed(), cfg), ids(b * t), targets(b * t), B(b), T(t) {
        for (size_t i = 0; i < ids.size(); ++i) {
            ids[i] = int32_t(rng.uniform_int(m.vocab));
            targets[i] = int32_t(rng.uniform_int(m.vocab));
        }
    }
    void fwd_bwd() {
        ModelOutput out = model.forward(ids, targets, B, T);
        backward(out.loss);
    }
    void step() {
        train_step.run([this](int32_t* in, int32_t* tgt) {
            std::copy(ids.begin(), ids.end(), in);
            std::copy(targets.begin(), targets.end(), tgt);
        }, 1e-4);
    }
};

double step_ms(Trainee& t) {
    const auto t0 = std::chrono::steady_clock::now();
    t.step();
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

// --paired: all selected configs alive at once, stepped round-robin.
// With `profile`, the per-op times of every config are summed over the rounds
// and printed side by side with each one's difference from the first config.
void run_paired(const std::vector<Variant>& variants, int64_t B, int64_t T, int rounds, bool profile) {
    Rng rng(1);
    std::vector<std::unique_ptr<Trainee>> ts;
    for (const auto& v : variants)
        ts.push_back(std::make_unique<Trainee>(v.cfg, B, T, v.bf16 ? Precision::bf16 : Precision::f32, rng));
    for (int i = 0; i < 3; ++i)
        for (size_t c = 0; c < ts.size(); ++c) ts[c]->step();  // warm-up
    std::vector<std::vector<double>> ms(ts.size());
    std::vector<std::map<std::string, double>> ops(ts.size());
    profiler::enable(profile);
    for (int r = 0; r < rounds; ++r)
        for (size_t c = 0; c < ts.size(); ++c) {
            profiler::reset();
            ms[c].push_back(step_ms(*ts[c]));
            for (const auto& [name, t] : profiler::totals()) ops[c][name] += t / rounds;
        }
    profiler::enable(false);
    std::printf("%-16s %9s %7s %7s %12s %9s %9s\n", "config", "ms/step", "p10", "p90",
                ("vs " + variants[0].name).c_str(), "p10", "p90");
    for (size_t c = 0; c < ts.size(); ++c) {
        std::vector<double> ratio;
        for (int r = 0; r < rounds; ++r) ratio.push_back(ms[c][r] / ms[0][r]);
        std::printf("%-16s %9.1f %7.1f %7.1f %11.3fx %8.3fx %8.3fx\n", variants[c].name.c_str(), quantile(ms[c], 0.5),
                    quantile(ms[c], 0.1), quantile(ms[c], 0.9), quantile(ratio, 0.5), quantile(ratio, 0.1), quantile(ratio, 0.9));
    }
    if (!profile) return;
    std::map<std::string, double> largest;  // ops ordered by their largest time in any config
    for (const auto& per : ops)
        for (const auto& [name, t] : per) largest[name] = std::max(largest[name], t);
    std::vector<std::pair<double, std::string>> order;
    for (const auto& [name, t] : largest) order.emplace_back(t, name);
    std::sort(order.rbegin(), order.rend());
    std::printf("\nms per step, by op (mean over the rounds; +/- against %s)\n%-26s", variants[0].name.c_str(), "op");
    for (const auto& v : variants) std::printf(" %16s", v.name.c_str());
    std::printf("\n");
    std::vector<double> total(ts.size(), 0.0);
    for (const auto& entry : order) {
        const std::string& name = entry.second;
        std::printf("%-26s", name.c_str());
        for (size_t c = 0; c < ts.size(); ++c) {
            const double t = ops[c].count(name) ? ops[c][name] : 0.0, t0 = ops[0].count(name) ? ops[0][name] : 0.0;
            total[c] += t;
            if (c == 0) std::printf(" %16.2f", t);
            else std::printf(" %8.2f (%+5.2f)", t, t - t0);
        }
        std::printf("\n");
    }
    std::printf("%-26s", "(profiled total)");
    for (size_t c = 0; c < ts.size(); ++c) {
        if (c == 0) std::printf(" %16.2f", total[c]);
        else std::printf(" %8.2f (%+5.2f)", total[c], total[c] - total[0]);
    }
    std::printf("\n");
}
}  // namespace

int main(int argc, char** argv) {
    std::string preset = "small", only;
    int64_t B = 16;
    int steps = 10, warmup = 3;
    bool profile = false, profile_all = false, json = false, paired = false;
    std::string dtype = "f32";
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        auto next = [&]() { return i + 1 < argc ? std::string(argv[++i]) : std::string(); };
        if (a == "--preset") preset = next();
        else if (a == "--batch") B = std::atoi(next().c_str());
        else if (a == "--steps") steps = std::atoi(next().c_str());
        else if (a == "--warmup") warmup = std::max(1, std::atoi(next().c_str()));
        else if (a == "--only") only = "," + next() + ",";
        else if (a == "--dtype") dtype = next();
        else if (a == "--profile") profile = true;
        else if (a == "--profile-all") profile = profile_all = true;
        else if (a == "--json") json = true;
        else if (a == "--paired") paired = true;
        else { std::fprintf(stderr, "unknown argument %s\n", a.c_str()); return 2; }
    }
    if (dtype != "f32" && dtype != "bf16" && !(paired && dtype == "both")) {
        std::fprintf(stderr, "--dtype: expected f32 or bf16 (or both, with --paired), got %s\n", dtype.c_str());
        return 2;
    }
    const bool bf16 = dtype == "bf16";
    ModelConfig base;
    if (!apply_preset(preset, base)) { std::fprintf(stderr, "unknown preset %s\n", preset.c_str()); return 2; }
    const int64_t T = base.seq_len;
    std::vector<Variant> variants;
    variants.push_back({"baseline", base});
    ModelConfig c = base; c.width_mult = 2; variants.push_back({"dense-2x", c});
    c = base; c.altup.k = 2; variants.push_back({"altup-k2", c});
    c = base; c.altup.k = 4; variants.push_back({"altup-k4", c});
    c = base; c.altup.k = 2; c.altup.recycled = true; c.altup.output = AltUpOutput::sum; variants.push_back({"recycled-k2", c});
    c = base; c.moe.experts = 4; variants.push_back({"moe-e4", c});
    c = base; c.altup.k = 2; c.moe.experts = 4; variants.push_back({"altup-k2+moe-e4", c});
    c = base; c.sequence_altup.stride = 2; variants.push_back({"seq-altup-s2", c});

    if (!only.empty())
        variants.erase(std::remove_if(variants.begin(), variants.end(),
                                      [&](const Variant& v) { return only.find("," + v.name + ",") == std::string::npos; }),
                       variants.end());
    if (variants.empty()) { std::fprintf(stderr, "--only: no such config\n"); return 2; }
    if (paired) {
        if (dtype == "both") {  // each config twice, f32 then bf16, in turn
            std::vector<Variant> both;
            for (const auto& v : variants) {
                both.push_back({v.name, v.cfg, false});
                both.push_back({v.name + "-bf16", v.cfg, true});
            }
            variants = both;
        }
        for (auto& v : variants) v.bf16 = v.bf16 || bf16;
        print_machine();
        std::printf("preset %s, batch %ld, seq %ld, threads %d, matmul inputs %s, %d rounds, configs stepped in turn\n\n",
                    preset.c_str(), long(B), long(T), omp_get_max_threads(), dtype.c_str(), steps);
        run_paired(variants, B, T, steps, profile);
        std::printf("\nmatmul implementations used: %s\n", dnn::matmul_impls_summary().c_str());
        return 0;
    }
    const double limit = matmul_limit_gflops(bf16);
    if (!json) {
        print_machine();
        std::printf("preset %s, batch %ld, seq %ld, threads %d, ISA %s, matmul inputs %s; %s matmul limit %.0f GFLOP/s "
                    "(2048x256 . 256x1024)\n\n",
                    preset.c_str(), long(B), long(T), omp_get_max_threads(), dnn::isa_string().c_str(), dtype.c_str(),
                    dtype.c_str(), limit);
        std::printf("%-16s %10s %9s %7s %7s %9s %9s %8s %6s %9s %8s %7s %6s\n", "config", "params", "ms/step", "p10", "p90", "fwd+bwd",
                    "tokens/s", "GFLOP/s", "limit", "RSS MB", "growth", "pool+", "prims+");
    }
    std::string json_rows;
    Rng rng(1);
    for (auto& v : variants) {
        Trainee run(v.cfg, B, T, bf16 ? Precision::bf16 : Precision::f32, rng);
        LanguageModel& model = run.model;
        auto fwd_bwd = [&] { run.fwd_bwd(); };
        auto step = [&] { run.step(); };
        for (int i = 0; i < warmup; ++i) step();  // primitives created, pool filled
        // Growth over the timed steps: resident memory, and the two caches that
        // can explain it (the tensor pool, in MB, and oneDNN primitives created).
        const double rss_before = rss_mb();
        const double pool_before = pool_mb();
        const size_t prims_before = dnn::primitives_created();
        const auto t = bench::time_it(step, 0, steps);
        const double growth = rss_mb() - rss_before, pool_growth = pool_mb() - pool_before;
        const size_t new_prims = dnn::primitives_created() - prims_before;
        const auto fb = bench::time_it([&] { fwd_bwd(); model.params().zero_grad(); }, 0, std::max(3, steps / 2));
        const double flops = 3.0 * model.forward_flops_per_token(T) * double(B * T);
        const double gflops = flops / t.median_ms / 1e6;
        const double tps = double(B * T) / (t.median_ms / 1000.0);
        if (json) {
            json_rows += (json_rows.empty() ? "" : ",\n") +
                         std::string("  {\"config\": \"") + v.name + "\", \"dtype\": \"" + dtype + "\", \"ms_per_step\": " + std::to_string(t.median_ms) +
                         ", \"p10\": " + std::to_string(t.p10_ms) + ", \"p90\": " + std::to_string(t.p90_ms) +
                         ", \"tokens_per_s\": " + std::to_string(tps) + ", \"gflops\": " + std::to_string(gflops) + "}";
        } else {
            std::printf("%-16s %10ld %9.1f %7.1f %7.1f %9.1f %9.0f %8.1f %5.0f%% %9.0f %+8.1f %+7.1f %6zu\n", v.name.c_str(), long(model.param_counts().total),
                        t.median_ms, t.p10_ms, t.p90_ms, fb.median_ms, tps, gflops, 100 * gflops / limit, peak_rss_mb(), growth,
                        pool_growth, new_prims);
        }
        if (profile) {
            profiler::reset();
            profiler::enable(true);
            double wall = 0;  // the same steps' wall time: what no op's scope covers shows as the difference
            for (int i = 0; i < 3; ++i) wall += step_ms(run) / 3;
            profiler::enable(false);
            std::vector<std::pair<double, std::string>> rows;
            double total = 0;
            for (const auto& [name, ms] : profiler::totals()) {
                rows.emplace_back(ms / 3, name);
                total += ms / 3;
            }
            std::sort(rows.rbegin(), rows.rend());
            double small = 0;
            int small_count = 0;
            for (const auto& [ms, name] : rows) {
                if (ms / total > (profile_all ? 0.0 : 0.005)) std::printf("    %-24s %8.1f ms  %5.1f%%\n", name.c_str(), ms, 100 * ms / total);
                else small += ms, ++small_count;
            }
            if (small_count)
                std::printf("    %-24s %8.1f ms  %5.1f%%\n", ("(" + std::to_string(small_count) + " more ops)").c_str(), small,
                            100 * small / total);
            std::printf("    %-24s %8.1f ms\n", "(profiled total)", total);
            std::printf("    %-24s %8.1f ms  (tape, graph release, outside any op)\n", "(step wall - total)", wall - total);
        }
    }
    if (json) std::printf("[\n%s\n]\n", json_rows.c_str());
    else std::printf("\nmatmul implementations used: %s\n", dnn::matmul_impls_summary().c_str());
    return 0;
}
