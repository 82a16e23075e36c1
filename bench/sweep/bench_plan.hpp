// What `altup bench` times: a sweep's trials grouped into speed
// configurations (speed_config.hpp), each with the configuration it is
// compared against in the same round (docs/bench.md, "Baselines").
#pragma once
#include <cstddef>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "experiments/config/config.hpp"

namespace altup {

// One pretraining trial, from a sweep file or a runs folder.
struct BenchTrial {
    std::string id;                             // its trial id
    std::string sweep_dir;                      // <runs>/<sweep>: bench files go to <sweep_dir>/bench/
    std::map<std::string, std::string> labels;  // variant, axis keys, seed
    Config config;                              // resolved
    int threads = 1;                            // what its steps run on
};

struct BenchConfig {
    std::string id;                 // speed_config_id
    nlohmann::json speed_config;
    std::string sweep_dir;
    Config config;                  // the first trial's: what is built and stepped
    int threads = 1;
    std::vector<std::string> trial_ids;
    std::vector<std::map<std::string, std::string>> labels;  // of those trials, in order
    std::size_t baseline = 0;       // index in the plan of the config it is relative to (itself: a baseline)
};

struct BaselineChoice {
    std::string variant_key = "variant";  // the label naming a method
    std::string variant = "baseline";     // --baseline VARIANT
    std::string id;                       // --baseline-id: one speed-config id for every config
};

// Speed configurations in order of first appearance, one per (sweep folder,
// speed-config id). A config's baseline is the config of the trial whose
// labels equal one of its trials' labels but for variant = choice.variant (and
// the seed), in the same sweep folder; without one, the plan's first config
// (of the same folder). Throws std::runtime_error when choice.id is not in the plan.
std::vector<BenchConfig> plan_bench(const std::vector<BenchTrial>& trials, const BaselineChoice& choice);

// Keeps the configs whose id is in `only`, and the baselines they are relative to.
// Throws std::runtime_error naming an id that matches nothing.
std::vector<BenchConfig> select_configs(const std::vector<BenchConfig>& plan, const std::vector<std::string>& only);

}  // namespace altup
