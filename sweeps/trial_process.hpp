// Starting one trainer process: fork + exec with the log as stdout/stderr,
// its own process group (so Ctrl-C reaches only the runner, which forwards
// SIGTERM) and PR_SET_PDEATHSIG (so it dies with a killed runner).
#pragma once
#include <sys/types.h>

#include <string>
#include <vector>

namespace altup {

struct ChildCommand {
    std::vector<std::string> argv;               // argv[0] is the program path
    std::vector<std::string> extra_env;          // "NAME=value", replacing inherited ones
    std::string log_path;                        // stdout+stderr, appended
    int inherited_fd = -1;                       // kept open across exec (the trial lock)
};

// Returns the child's pid; throws std::runtime_error when the log cannot be
// opened or fork fails. A failed exec shows as exit code 127 with the reason in the log.
pid_t start_child(const ChildCommand& command);

// The exit code a shell would report: the code, or 128 + signal.
int exit_code_of(int wait_status);

}  // namespace altup
