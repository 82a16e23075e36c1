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

// id, labels, overrides for each trial (and, in a two-stage sweep, "after":
// the pretraining trial it waits for), then the count.
void print_trial_table(std::FILE* out, const SweepExpansion& sweep);

struct ProgressCounts {
    int completed = 0;
    int running = 0;
    int failed = 0;     // failed or diverged, and trials not run over a foreign or invalid result.json
    int pending = 0;    // includes interrupted and waiting ones
    int waiting = 0;    // of the pending: fine-tune trials whose pretraining trial has not completed
    int total() const { return completed + running + failed + pending; }
};
std::string progress_line(const std::string& sweep_name, const ProgressCounts& counts, double eta_s);  // eta < 0: unknown

ProgressCounts count_statuses(const std::vector<TrialRecord>& records);
// The same, counting the waiting trials of a two-stage sweep too.
ProgressCounts count_statuses(const SweepExpansion& sweep, const std::vector<TrialRecord>& records);

// Trial i is pending (or interrupted) and depends on a pretraining trial that has not completed.
bool is_waiting(const SweepExpansion& sweep, const std::vector<TrialRecord>& records, size_t i);

// id, labels, status, eval loss, accuracy, tokens/s; records[i] belongs to sweep.trials[i].
// A pending fine-tune trial whose pretraining trial has not completed shows "waiting".
void print_summary_table(std::FILE* out, const SweepExpansion& sweep, const std::vector<TrialRecord>& records);

}  // namespace altup
