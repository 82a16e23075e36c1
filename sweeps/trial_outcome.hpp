// What one finished trainer process means: the trial's status from its exit
// code and the status its own result.json reports, and whether the runner
// writes a failure record. A final result the trainer wrote (completed,
// diverged, failed) is never replaced: a trainer killed or failing after
// writing it keeps it, with a note in runner.json (docs/sweeps.md, "The
// trainer protocol").
#pragma once
#include <string>

namespace altup {

struct TrialOutcome {
    std::string status;           // completed | diverged | failed | interrupted
    std::string failure_message;  // non-empty: write a failed result.json with it (the trainer wrote no final result)
    std::string note;             // non-empty: the exit code disagrees with the kept result (runner.json "note")
};

// `reported` is result.json's status ("" when absent or unreadable);
// `last_log_line` ends the failure message when the runner writes one.
TrialOutcome decide_outcome(int exit_code, const std::string& reported, const std::string& last_log_line);

}  // namespace altup
