// `--format json`: the analysis as data, in raw units (accuracy as a fraction,
// Δ accuracy in points, speeds in tok/s), for scripts and notebooks.
#pragma once
#include <nlohmann/json.hpp>

#include "analysis/analysis.hpp"

namespace altup {

nlohmann::json analysis_to_json(const Analysis& analysis, const AnalyzeOptions& options);

}  // namespace altup
