#include "experiments/trial/run_info.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <cmath>
#include <string>

#include "core/dnn.hpp"
#include "core/matmul_policy.hpp"
#include "util/cpu_info.hpp"

#include "git_commit.hpp"  // ALTUP_GIT_COMMIT, written at build time (cmake/git_commit.cmake)

namespace altup {

namespace {
std::string hostname() {
    char buf[256] = {};
    gethostname(buf, sizeof buf - 1);
    return buf;
}
}  // namespace

double peak_rss_mb() {
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
    return double(u.ru_maxrss) / 1024.0;  // ru_maxrss is in KiB on Linux
}

nlohmann::json num_or_null(double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr); }

nlohmann::json run_env(int threads, int ranks) {
    // The CPU and the matmul implementation rule in force: the same config can
    // run on different kernels (and so differ in its last bits) on another CPU.
    return {{"git_commit", ALTUP_GIT_COMMIT}, {"onednn_version", dnn::version_string()}, {"isa", dnn::isa_string()},
            {"cpu_model", cpu_model()}, {"matmul_impls", dnn::matmul_policy().describe()},
            {"threads", threads}, {"ranks", ranks}, {"host", hostname()}};
}

}  // namespace altup
