// Which code and settings produced a set of trials: read from each result.json
// (env.git_commit, config.train.steps, finished_at, ...) and summarised in one
// line per field for the reports ("commit: a1b2c3d (12 trials), e4f5a6b (2
// trials)"), so a table or figure says what it was made from.
#pragma once
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace altup {

struct TrialResult;

// Field name -> value text, for the fields the file has (docs/analysis.md,
// "Provenance", lists them). Never fails: a missing or odd field is left out.
std::map<std::string, std::string> read_provenance(const nlohmann::json& root);

struct ProvenanceLine {
    std::string field;                                // "commit", "steps", ...
    std::vector<std::pair<std::string, int>> values;  // value, trials; most common first
    int without = 0;                                  // trials whose file does not say
    bool range = false;                               // dates: shown as first to last
};

// One line per field that some trial has, in a fixed order.
std::vector<ProvenanceLine> summarize_provenance(const std::vector<const TrialResult*>& trials);

// "commit: a1b2c3d (12 trials), e4f5a6b (2 trials)"; a field every trial agrees
// on reads "steps: 400"; dates read as a range, "finished: 2026-11-28 to 2026-11-30".
std::string provenance_text(const ProvenanceLine& line);

// The lines joined by "; ", for a caption.
std::string provenance_sentence(const std::vector<ProvenanceLine>& lines);

nlohmann::json provenance_json(const std::vector<ProvenanceLine>& lines);

}  // namespace altup
