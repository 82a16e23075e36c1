// result.json as trials write it (docs/result-files.md): the one place that
// builds the fields every record shares and the failure record, and that
// writes a record only after checking it against the schema the readers use
// (util/result_file.hpp). Pretraining and fine-tuning add their own sections
// to the header; the sweep runner writes failure records through the same
// function, so no writer can drift from the others.
#pragma once
#include <cstdint>
#include <map>
#include <string>

#include <nlohmann/json.hpp>

#include "experiments/config/config.hpp"

namespace altup {

struct ParamCounts;

// What a record says about who ran the trial.
struct TrialLabels {
    std::string sweep;                          // "" when not run by a sweep
    std::map<std::string, std::string> labels;  // the sweep's axis values
};

// "pretrain" or "finetune": what `cfg` trains (finetune.task set or not).
const char* trial_stage(const Config& cfg);

// The fields every result.json starts with: schema, id, name, stage, sweep,
// labels, status, message, diverged_at_step (-1 = null) and the resolved config.
nlohmann::json result_header(const Config& cfg, const TrialLabels& who, const std::string& status, const std::string& message,
                             int64_t diverged_at);

// The "params" section.
nlohmann::json params_json(const ParamCounts& counts);

// The record of a trial that failed with `message`. It keeps the sections of
// `previous` (the record the trial wrote before it failed, when it is this
// trial's); every section it lacks is there and null, so that analysis can
// list the trial.
nlohmann::json failure_record(const Config& cfg, const TrialLabels& who, const std::string& message,
                              const nlohmann::json& previous = nullptr);

// Writes `record` to `path` atomically once it holds the schema; a record the
// readers would refuse is a bug here and throws std::logic_error with the field.
void write_result_record(const std::string& path, const nlohmann::json& record);

}  // namespace altup
