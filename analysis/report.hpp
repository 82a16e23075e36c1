// `altup analyze`: result files in, a report out (tables in one of five formats,
// optional plots). Also used by the sweep runner for its closing table.
#pragma once
#include <string>
#include <vector>

#include "analysis/results.hpp"

namespace altup {

struct AnalyzeOptions {
    std::string format = "md";   // md | csv | latex | json | html
    std::string baseline;        // variant to compare against ("" = "baseline" if present)
    std::string pivot;           // label key for the method x size pivot ("" = model.preset if present)
    std::string plot_dir;        // write SVG/PNG figures there ("" = none; html uses a temp dir)
};

struct Report {
    std::string text;                    // the rendered report
    std::vector<SkippedResult> skipped;  // said on stderr by the command
    size_t trials = 0;
};

Report analyze(const std::string& runs_dir, const AnalyzeOptions& opts);

}  // namespace altup
