// What the files of one trial folder say about it (result.json, runner.json,
// the lock). Used to decide what to run and by `altup sweep --status`.
#pragma once
#include <map>
#include <optional>
#include <string>

namespace altup {

enum class TrialStatus {
    pending,      // never started
    running,      // result.json says running and a runner holds the lock
    interrupted,  // started but stopped (runner killed or signalled): resumes
    completed,
    diverged,
    failed,
    foreign,      // result.json is another run's (a standalone altup train, another sweep or labels): never adopted nor overwritten
    invalid,      // result.json is there but does not hold the schema (util/result_file.hpp): never adopted nor overwritten
};

const char* to_string(TrialStatus s);
bool is_finished(TrialStatus s);        // completed, diverged or failed: not run again by default
bool is_unsuccessful(TrialStatus s);    // diverged or failed
// foreign or invalid: the folder holds a result.json no runner adopts or runs
// over (another run's, or one somebody may want back); it waits for a person.
bool is_left_alone(TrialStatus s);

struct TrialRecord {
    TrialStatus status = TrialStatus::pending;
    std::string message;                  // result.json's message (failed/diverged); foreign/invalid: what is wrong and the fix
    std::optional<int> exit_code;         // from runner.json
    int attempts = 0;                     // attempts started: train.log's attempt lines (or runner.json's count if larger)
    std::optional<double> eval_loss;
    std::optional<double> token_accuracy;
    std::optional<double> train_tokens_per_s;
    // A fine-tune trial's own numbers (its quality/speed sections are its pretraining trial's).
    std::optional<double> downstream_accuracy;
    std::optional<double> downstream_tokens_per_s;
    std::optional<double> wall_time_s;
    std::optional<long long> steps_done;
};

// The line the runner appends to train.log before each attempt starts
// ("=== altup sweep: attempt N at ..."): the durable count of attempts, which
// survives a runner killed before it wrote runner.json.
inline constexpr const char* kAttemptLinePrefix = "=== altup sweep: attempt ";
// How many attempt lines <trial_dir>/train.log holds (0 without the file).
int attempts_in_log(const std::string& trial_dir);

// Whose trial a folder should hold: the sweep's name and the trial's labels.
struct TrialOwner {
    std::string sweep;
    std::map<std::string, std::string> labels;
};

// Reads <dir>/result.json and <dir>/runner.json; an absent result.json means
// pending (or interrupted when the runner had started it). A result.json that
// fails the schema check is `invalid`, its message names the file, the field
// and the fix. With an owner, a valid result.json whose sweep or labels are
// not the owner's is `foreign`, its message says whose it is.
TrialRecord read_trial_record(const std::string& trial_dir, const TrialOwner* owner = nullptr);

}  // namespace altup
