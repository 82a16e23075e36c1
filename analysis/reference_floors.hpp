// Reference floors for `altup analyze`: for each distinct data/eval
// configuration among the analysed pretraining trials, the count-based n-gram
// models (experiments/data/ngram_floors.hpp) trained on that token cache's
// training split and scored on the held-out windows those trials' quality
// comes from: the validation windows of eval_loss and token_accuracy, or with
// `--split test` the test windows of quality.test. A neural model that does not beat them has
// learned nothing beyond word statistics. This is the one place analysis reads
// more than result files: the token cache, found as the trainer finds it.
#pragma once
#include <cstddef>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "analysis/result_loader.hpp"
#include "analysis/table.hpp"
#include "experiments/data/ngram_floors.hpp"

namespace altup {

struct ReferenceFloorConfig {
    std::string description;  // "brown, sentencepiece unigram, vocab 8192; seq_len 128, eval 20 × 16 windows"
    std::string token_dir;
    FloorSettings settings;
    std::size_t trials = 0;  // analysed trials with this configuration
    NgramFloors floors;
};

struct ReferenceFloors {
    std::vector<ReferenceFloorConfig> configs;  // those whose floors could be had
    std::vector<std::string> notes;             // one line per configuration left out, with the reason
    EvalSplit split = EvalSplit::valid;         // the windows every configuration was scored on
    bool empty() const { return configs.empty() && notes.empty(); }
};

// Reads each pretraining trial's resolved `config` from its result.json,
// finds its token cache (data.cache_dir, else $ALTUP_DATA_DIR, else
// ./data-cache) and gets the floors from the cache file there or computes
// them. Never throws for a trial: what cannot be had becomes a note.
ReferenceFloors reference_floors(const std::vector<TrialResult>& trials, EvalSplit split);

Table reference_floors_table(const ReferenceFloors& floors);  // id reference_floors
nlohmann::json reference_floors_json(const ReferenceFloors& floors);

}  // namespace altup
