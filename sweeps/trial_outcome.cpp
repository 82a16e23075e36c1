#include "sweeps/trial_outcome.hpp"

#include <fmt/format.h>

#include "util/trial_exit.hpp"

namespace altup {
namespace {

// "code 1", or "code 137 (killed by signal 9)" for the shell's 128 + signal.
std::string exit_words(int exit_code) {
    if (exit_code > 128 && exit_code < 128 + 65) return fmt::format("code {} (killed by signal {})", exit_code, exit_code - 128);
    return fmt::format("code {}", exit_code);
}

}  // namespace

TrialOutcome decide_outcome(int exit_code, const std::string& reported, const std::string& last_log_line) {
    TrialOutcome out;
    // The trainer's own final result stands, whatever happened to the process after.
    if (reported == "completed" || reported == "diverged" || reported == "failed") {
        out.status = reported;
        const int expected = reported == "completed" ? kCompleted : reported == "diverged" ? kDiverged : -1;
        const bool agrees = reported == "failed" ? exit_code != kCompleted : exit_code == expected;
        if (!agrees)
            out.note = fmt::format("the trainer wrote its {} result.json, then exited with {}; the result is kept", reported,
                                   exit_words(exit_code));
        return out;
    }
    if (is_interruption(exit_code)) {
        out.status = "interrupted";
        return out;
    }
    out.status = "failed";
    const std::string says = reported.empty() ? "nothing" : reported;
    if (exit_code == kCompleted) {
        out.failure_message = fmt::format("the trainer exited with 0 but result.json says '{}'", says);
    } else {
        out.failure_message = fmt::format("the trainer exited with {}{}{}", exit_words(exit_code),
                                          exit_code == kDiverged ? " (diverged) without writing its diverged result" : "",
                                          last_log_line.empty() ? "" : ": " + last_log_line);
    }
    return out;
}

}  // namespace altup
