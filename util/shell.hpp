// Running a shell command from C++ (fetching the corpus with npm, submitting
// to Slurm): quoting, and capturing what it prints.
#pragma once
#include <string>

namespace altup {

// 'text' with embedded single quotes escaped, safe as one shell word.
std::string shell_quote(const std::string& text);

struct CommandOutput {
    int status = 0;        // as from pclose: 0 = success
    std::string output;    // stdout and stderr together
};
// Runs `command` with /bin/sh; throws std::runtime_error only when it cannot start.
CommandOutput run_command(const std::string& command);

}  // namespace altup
