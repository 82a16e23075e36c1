#include "analysis/gnuplot_runner.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "analysis/analysis_error.hpp"

extern char** environ;

namespace altup {

std::string find_executable(const std::string& name) {
    if (name.empty()) return "";
    if (name.find('/') != std::string::npos) return ::access(name.c_str(), X_OK) == 0 ? name : "";
    const char* path = std::getenv("PATH");
    std::stringstream dirs(path ? path : "/usr/local/bin:/usr/bin:/bin");
    std::string dir;
    while (std::getline(dirs, dir, ':')) {
        const std::string candidate = (dir.empty() ? "." : dir) + "/" + name;
        if (::access(candidate.c_str(), X_OK) == 0) return candidate;
    }
    return "";
}

void run_gnuplot(const std::string& gnuplot, const std::string& script_path) {
    const std::string exe = find_executable(gnuplot);
    if (exe.empty())
        throw AnalysisError(fmt::format(
            "gnuplot not found (looked for '{}'{}): plots need it; install the Debian package gnuplot-nox "
            "(apt-get install gnuplot-nox)",
            gnuplot, gnuplot.find('/') == std::string::npos ? " on PATH" : ""));
    const std::string log_path = script_path + ".log";
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
    std::vector<char*> argv{const_cast<char*>(exe.c_str()), const_cast<char*>(script_path.c_str()), nullptr};
    pid_t pid = 0;
    const int rc = ::posix_spawn(&pid, exe.c_str(), &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) throw AnalysisError(fmt::format("cannot start {}: {}", exe, std::strerror(rc)));
    // A script without `pause` ends by itself; the limit only guards against a wedged process.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(2);
    int status = 0;
    while (true) {
        const pid_t done = ::waitpid(pid, &status, WNOHANG);
        if (done == pid) break;
        if (done < 0 && errno != EINTR) throw AnalysisError(fmt::format("waiting for gnuplot: {}", std::strerror(errno)));
        if (std::chrono::steady_clock::now() > deadline) {
            ::kill(pid, SIGKILL);
            ::waitpid(pid, &status, 0);
            throw AnalysisError(fmt::format("gnuplot did not finish {} within 2 minutes", script_path));
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    std::ifstream log(log_path);
    std::stringstream text;
    text << log.rdbuf();
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        throw AnalysisError(fmt::format("gnuplot failed on {}:\n{}", script_path, text.str()));
    std::remove(log_path.c_str());
}

}  // namespace altup
