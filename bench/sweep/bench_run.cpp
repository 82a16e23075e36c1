#include "bench/sweep/bench_run.hpp"

#include <omp.h>

#include <filesystem>
#include <memory>
#include <stdexcept>

#include <fmt/format.h>

#include "core/optim.hpp"
#include "core/rng.hpp"
#include "experiments/trainer/distributed.hpp"
#include "experiments/trial/run_info.hpp"
#include "experiments/trainer/train_step.hpp"
#include "layers/model.hpp"
#include "sweeps/sweep_expansion.hpp"
#include "util/cpu_info.hpp"
#include "util/quantile.hpp"
#include "util/utc_time.hpp"

namespace altup {
namespace {

// A model, its optimizer and a fixed batch of random tokens: the step's cost
// does not depend on which tokens it sees (MoE routing aside, bounded by capacity).
struct Trainee {
    LanguageModel model;
    std::unique_ptr<Optimizer> optim;
    TrainStep step;
    std::vector<int32_t> inputs, targets;
    Trainee(const Config& cfg, Rng& rng)
        : model(cfg.model, cfg.seed, cfg.train.dtype),
          optim(make_optimizer(cfg.train.optimizer, model.params(), cfg.train.beta1, cfg.train.beta2, cfg.train.eps,
                               cfg.train.weight_decay)),
          step(model, *optim, distributed(), cfg),
          inputs(size_t(cfg.train.batch) * cfg.model.seq_len),
          targets(inputs.size()) {
        for (size_t i = 0; i < inputs.size(); ++i) {
            inputs[i] = int32_t(rng.uniform_int(uint64_t(cfg.model.vocab)));
            targets[i] = int32_t(rng.uniform_int(uint64_t(cfg.model.vocab)));
        }
    }
};

nlohmann::json spread(const std::vector<double>& v) {
    return {{"median", num_or_null(quantile(v, 0.5))}, {"p10", num_or_null(quantile(v, 0.1))},
            {"p90", num_or_null(quantile(v, 0.9))}, {"per_round", v}};
}

}  // namespace

std::string cost_labels_text(const std::map<std::string, std::string>& labels) {
    std::string out;
    for (const auto& [k, v] : ordered_labels(labels))
        if (k != "seed") out += (out.empty() ? "" : " ") + k + "=" + v;
    return out.empty() ? "-" : out;
}


std::vector<BenchFigures> run_bench(const std::vector<BenchConfig>& plan, const InterleavedOptions& options, std::FILE* progress) {
    if (distributed().size() > 1) throw std::runtime_error("altup bench runs in one process: start it without mpirun");
    std::vector<std::unique_ptr<Trainee>> trainees;
    std::vector<BenchFigures> figures(plan.size());
    Rng rng(1);
    for (std::size_t c = 0; c < plan.size(); ++c) {
        const Config& cfg = plan[c].config;
        if (progress) fmt::print(progress, "building {} ({})\n", plan[c].id, cost_labels_text(plan[c].labels.front()));
        omp_set_num_threads(plan[c].threads);
        trainees.push_back(std::make_unique<Trainee>(cfg, rng));
        figures[c].flops_per_step = flops_per_step(trainees.back()->model, cfg);
        figures[c].tokens_per_step = int64_t(cfg.train.batch) * cfg.train.grad_accum * cfg.model.seq_len;
        figures[c].params = trainees.back()->model.param_counts().total;
    }
    std::vector<Workload> workloads;
    for (std::size_t c = 0; c < plan.size(); ++c) {
        Trainee* t = trainees[c].get();
        const Config* cfg = &plan[c].config;
        const int threads = plan[c].threads;
        workloads.push_back({[=] { omp_set_num_threads(threads); },
                             [=] {
                                 t->step.run([t](int32_t* in, int32_t* tgt) {
                                     std::copy(t->inputs.begin(), t->inputs.end(), in);
                                     std::copy(t->targets.begin(), t->targets.end(), tgt);
                                 }, cfg->train.lr);
                             }});
    }
    if (progress)
        fmt::print(progress, "timing {} configs: {} warm-up steps each, then {} rounds of {} steps each, order rotated\n",
                   plan.size(), options.warmup, options.rounds, options.steps_per_round);
    const auto ms = time_interleaved(workloads, options);
    for (std::size_t c = 0; c < plan.size(); ++c) {
        figures[c].ms_per_round = ms[c];
        for (std::size_t r = 0; r < ms[c].size(); ++r) figures[c].ratio_per_round.push_back(ms[c][r] / ms[plan[c].baseline][r]);
    }
    return figures;
}

nlohmann::json bench_record(const std::vector<BenchConfig>& plan, std::size_t c, const BenchFigures& f,
                            const InterleavedOptions& options) {
    const BenchConfig& config = plan[c];
    const BenchConfig& base = plan[config.baseline];
    nlohmann::json env = run_env(config.threads, 1);
    env["cpu"] = cpu_model();
    const double median = quantile(f.ms_per_round, 0.5);
    return {{"schema_version", 1},
            {"speed_config_id", config.id},
            {"speed_config", config.speed_config},
            {"trials", config.trial_ids},
            {"labels", config.labels},
            {"baseline", {{"speed_config_id", base.id}, {"labels", base.labels.front()}}},
            {"date", utc_now_iso()},
            {"env", env},
            {"method", {{"configs_interleaved", plan.size()}, {"rounds", options.rounds},
                        {"steps_per_round", options.steps_per_round}, {"warmup_steps", options.warmup}}},
            {"params", f.params},
            {"tokens_per_step", f.tokens_per_step},
            {"flops_per_step", f.flops_per_step},
            {"ms_per_step", spread(f.ms_per_round)},
            {"train_tokens_per_s", num_or_null(double(f.tokens_per_step) / (median / 1000.0))},
            {"ratio_to_baseline", spread(f.ratio_per_round)}};
}

std::string bench_file_path(const BenchConfig& config) {
    return (std::filesystem::path(config.sweep_dir) / "bench" / (config.id + ".json")).string();
}

std::string bench_table(const std::vector<BenchConfig>& plan, const std::vector<BenchFigures>& figures) {
    std::string out = fmt::format("{:<12}  {:<40}  {:>22}  {:>9}  {:>24}  {:>12}  {:>10}\n", "speed id", "labels",
                                  "ms/step [p10, p90]", "tok/s", "× baseline [p10, p90]", "baseline", "GFLOP/step");
    for (std::size_t c = 0; c < plan.size(); ++c) {
        const BenchFigures& f = figures[c];
        const double median = quantile(f.ms_per_round, 0.5);
        out += fmt::format("{:<12}  {:<40}  {:>22}  {:>9.0f}  {:>24}  {:>12}  {:>10.3f}\n", plan[c].id,
                           cost_labels_text(plan[c].labels.front()),
                           fmt::format("{:.1f} [{:.1f}, {:.1f}]", median, quantile(f.ms_per_round, 0.1),
                                       quantile(f.ms_per_round, 0.9)),
                           double(f.tokens_per_step) / (median / 1000.0),
                           plan[c].baseline == c ? std::string("(baseline)")
                                                 : fmt::format("{:.3f} [{:.3f}, {:.3f}]", quantile(f.ratio_per_round, 0.5),
                                                               quantile(f.ratio_per_round, 0.1),
                                                               quantile(f.ratio_per_round, 0.9)),
                           plan[plan[c].baseline].id, f.flops_per_step / 1e9);
    }
    out += "× baseline: this config's ms/step ÷ its baseline's in the same round (below 1 = faster), median over rounds\n";
    return out;
}

}  // namespace altup
