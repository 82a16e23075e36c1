#include "experiments/trainer/run_info.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <csignal>
#include <ctime>

#include <fstream>
#include <string>

#include "core/dnn.hpp"
#include "core/matmul_policy.hpp"
#include "experiments/config/config_io.hpp"
#include "util/atomic_file.hpp"
#include "util/cpu_info.hpp"

#include "git_commit.hpp"  // ALTUP_GIT_COMMIT, written at build time (cmake/git_commit.cmake)

namespace altup {

namespace {
volatile std::sig_atomic_t g_stop_signal = 0;

std::string hostname() {
    char buf[256] = {};
    gethostname(buf, sizeof buf - 1);
    return buf;
}
}  // namespace

std::string now_iso() {
    std::time_t t = std::time(nullptr);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
    return buf;
}

double peak_rss_mb() {
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
    return double(u.ru_maxrss) / 1024.0;  // ru_maxrss is in KiB on Linux
}

double percentile(std::vector<double> v, double q) {
    if (v.empty()) return std::nan("");
    std::sort(v.begin(), v.end());
    const double pos = q * double(v.size() - 1);
    const size_t lo = size_t(pos), hi = std::min(lo + 1, v.size() - 1);
    return v[lo] + (v[hi] - v[lo]) * (pos - double(lo));
}

nlohmann::json num_or_null(double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr); }

nlohmann::json run_env(int threads, int ranks) {
    // The CPU and the matmul implementation rule in force: the same config can
    // run on different kernels (and so differ in its last bits) on another CPU.
    return {{"git_commit", ALTUP_GIT_COMMIT}, {"onednn_version", dnn::version_string()}, {"isa", dnn::isa_string()},
            {"cpu_model", cpu_model()}, {"matmul_impls", dnn::matmul_policy().describe()},
            {"threads", threads}, {"ranks", ranks}, {"host", hostname()}};
}

nlohmann::json result_header(const Config& cfg, const std::string& sweep, const std::map<std::string, std::string>& labels,
                             const std::string& stage, const std::string& status, const std::string& message,
                             int64_t diverged_at) {
    using json = nlohmann::json;
    json r;
    r["schema_version"] = 1;
    r["trial_id"] = config_id(cfg);
    r["name"] = cfg.name;
    r["stage"] = stage;
    r["sweep"] = sweep.empty() ? json(nullptr) : json(sweep);
    r["labels"] = labels;
    r["status"] = status;
    r["message"] = message;
    r["diverged_at_step"] = diverged_at >= 0 ? json(diverged_at) : json(nullptr);
    r["config"] = to_json(cfg);
    return r;
}

void drop_metrics_after(const std::string& metrics_path, int64_t step) {
    std::ifstream in(metrics_path);
    std::string line, kept;
    while (std::getline(in, line)) {
        try {
            if (nlohmann::json::parse(line).value("step", int64_t(0)) <= step) kept += line + "\n";
        } catch (const std::exception&) {
            // a torn last line from a killed process: drop it
        }
    }
    write_file_atomically(metrics_path, kept);
}

int stop_signal() { return g_stop_signal; }
void set_stop_signal(int sig) { g_stop_signal = sig; }

}  // namespace altup
