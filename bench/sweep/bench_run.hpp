// `altup bench`'s measurement: every speed configuration of a plan built once
// in this process, then timed in interleaved rounds (interleaved_timing.hpp)
// with the trainer's own step (experiments/trainer/train_step.hpp) on random
// tokens, and the figures written next to the results (docs/bench.md).
#pragma once
#include <cstdint>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "bench/sweep/bench_plan.hpp"
#include "bench/sweep/interleaved_timing.hpp"

namespace altup {

struct BenchFigures {
    std::vector<double> ms_per_round;     // median ms per step of each round's turn
    std::vector<double> ratio_per_round;  // ms / the baseline's ms in the same round
    double flops_per_step = 0;            // analytic, as result.json's speed.flops_per_step
    int64_t tokens_per_step = 0;
    int64_t params = 0;
};

// Times every config of the plan; `progress` (may be null) gets a line per stage.
std::vector<BenchFigures> run_bench(const std::vector<BenchConfig>& plan, const InterleavedOptions& options, std::FILE* progress);

// The file's contents (docs/bench.md, "The bench file"): what was measured,
// relative to what, on which machine, and the figures with their spread.
nlohmann::json bench_record(const std::vector<BenchConfig>& plan, std::size_t c, const BenchFigures& figures,
                            const InterleavedOptions& options);

// <sweep_dir>/bench/<speed-config id>.json
std::string bench_file_path(const BenchConfig& config);

// "variant=altup-k2 model.preset=small": a config's labels but the seed, which says nothing of its cost.
std::string cost_labels_text(const std::map<std::string, std::string>& labels);

// The table `altup bench` prints: per config ms/step, tok/s, ratio to its baseline.
std::string bench_table(const std::vector<BenchConfig>& plan, const std::vector<BenchFigures>& figures);

}  // namespace altup
