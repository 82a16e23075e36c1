// Facts about the process a result file records beside its figures: memory,
// the machine and build, and the JSON spelling of a missing number.
#pragma once
#include <nlohmann/json.hpp>

namespace altup {

double peak_rss_mb();                  // of this process so far
nlohmann::json num_or_null(double v);  // JSON has no NaN/inf: they become null
// result.json's "env": commit, oneDNN version and ISA, CPU, matmul rule, threads, MPI ranks, host.
nlohmann::json run_env(int threads, int ranks);

}  // namespace altup
