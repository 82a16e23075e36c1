// What CPU this process runs on, as result files and benchmarks record it.
#pragma once
#include <string>

namespace altup {

// The "model name" of the first processor in /proc/cpuinfo text (e.g.
// "AMD EPYC"), or "unknown" when there is none (another architecture, or no
// /proc).
std::string cpu_model_from_cpuinfo(const std::string& cpuinfo);
// The same for this machine, read from /proc/cpuinfo once.
const std::string& cpu_model();

}  // namespace altup
