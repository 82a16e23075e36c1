// Tables for programs rather than readers (`--table trials`, `--table curves`):
// one flat row per trial, or per trial and logged step, raw units, every
// label and config key a column of its own, so pandas.read_csv gives a frame
// to filter and plot (docs/analysis.md, "Into Python").
#pragma once
#include "analysis/analysis.hpp"
#include "analysis/table.hpp"

namespace altup {

// One row per trial the analysis uses (stale ones only with include_stale;
// running ones, with no final numbers, only with include_running): trial id,
// sweep, name, stage, status, path, its labels, every metric (raw: accuracy
// a fraction, tok/s, ms), its config keys as `config.<key>` and provenance
// as `provenance.<field>`.
Table trials_table(const Analysis& analysis, const AnalyzeOptions& options);

// One row per trial and logged step of its metrics.jsonl (the same trials):
// the trial's id, status and labels, then the step's time, training loss,
// learning rate and tokens/s where the step logged training, and the eval
// loss, perplexity, accuracy (and macro-F1 when fine-tuning) where it evaluated.
Table curves_table(const Analysis& analysis, const AnalyzeOptions& options);

}  // namespace altup
