// Small facts every result file records (times, memory, host, percentiles),
// shared by the pretraining and the fine-tuning trainers.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "experiments/config/config.hpp"

namespace altup {

std::string now_iso();                                // UTC, "2026-11-28T19:00:00Z"
double peak_rss_mb();                                 // of this process so far
double percentile(std::vector<double> v, double q);   // linear interpolation; NaN when empty
nlohmann::json num_or_null(double v);                 // JSON has no NaN/inf: they become null
// The CPU, as /proc/cpuinfo's first "model name" says ("" when it does not).
std::string cpu_model();
// result.json's "env": commit, oneDNN version and ISA, threads, MPI ranks, host.
nlohmann::json run_env(int threads, int ranks);

// The fields every result.json starts with (docs/result-files.md): schema,
// id, name, stage ("pretrain" | "finetune"), sweep, labels, status, message,
// diverged_at_step (-1 = null) and the resolved config.
nlohmann::json result_header(const Config& cfg, const std::string& sweep, const std::map<std::string, std::string>& labels,
                             const std::string& stage, const std::string& status, const std::string& message,
                             int64_t diverged_at);

// On resume: metrics.jsonl lines logged after the checkpoint's step will be
// logged again, so they are dropped (and a torn last line with them).
void drop_metrics_after(const std::string& metrics_path, int64_t step);

// The signal (SIGINT or SIGTERM) that asked the running trial to stop, or 0.
// install_stop_handlers() (trainer.hpp) sets it; loops poll it between steps.
int stop_signal();
void set_stop_signal(int sig);  // 0 clears it

}  // namespace altup
