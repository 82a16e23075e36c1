// What `altup sweep` prints: the dry-run trial table, progress lines, and
// the summary/status table read from result files.
#pragma once
#include <cstdio>
#include <string>
#include <vector>

#include "sweeps/sweep_expansion.hpp"
#include "sweeps/trial_state.hpp"

namespace altup {

// "1h02m", "3m05s", "12s"
std::string format_duration(double seconds);

// id, labels, overrides for each trial, then the count.
void print_trial_table(std::FILE* out, const SweepExpansion& sweep);

struct ProgressCounts {
    int completed = 0;
    int running = 0;
    int failed = 0;     // failed or diverged
    int pending = 0;    // includes interrupted ones
    int total() const { return completed + running + failed + pending; }
};
std::string progress_line(const std::string& sweep_name, const ProgressCounts& counts, double eta_s);  // eta < 0: unknown

ProgressCounts count_statuses(const std::vector<TrialRecord>& records);

// id, labels, status, eval loss, accuracy, tokens/s; records[i] belongs to sweep.trials[i].
void print_summary_table(std::FILE* out, const SweepExpansion& sweep, const std::vector<TrialRecord>& records);

}  // namespace altup
