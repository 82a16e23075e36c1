// The tables of a report, built from an Analysis (docs/analysis.md lists each
// column), and the compact summary the sweep runner prints at the end.
#pragma once
#include <string>
#include <vector>

#include "analysis/analysis.hpp"
#include "analysis/table.hpp"

namespace altup {

Table groups_table(const Analysis& analysis, const AnalyzeOptions& options);
Table baseline_table(const Analysis& analysis, const AnalyzeOptions& options);
Table pivot_table(const Analysis& analysis, const AnalyzeOptions& options);  // needs analysis.pivot
Table downstream_table(const Analysis& analysis, const AnalyzeOptions& options);  // needs analysis.downstream_pivot
Table iso_quality_table(const Analysis& analysis, const AnalyzeOptions& options);
Table fit_table(const Analysis& analysis, const AnalyzeOptions& options);  // needs options.fit
Table skipped_table(const Analysis& analysis);

// The tables that have something to say, in report order. `with_skipped`: list
// unusable files as a table too (Markdown and HTML; other formats say it on stderr).
std::vector<Table> report_tables(const Analysis& analysis, const AnalyzeOptions& options, bool with_skipped);

// One Markdown table for the end of a sweep: per group, seeds, loss, accuracy,
// train tok/s and, when a baseline of the same size exists, Δ accuracy and speedup.
// Throws AnalysisError when runs_dir cannot be read.
std::string render_summary_table(const std::string& runs_dir, const AnalyzeOptions& options);

// "3 result files skipped (1 still running)" style lines, one per skipped file.
std::string skipped_report(const LoadedResults& loaded);

}  // namespace altup
