// Where a standalone `altup train` puts its run when given no --run-dir:
// <out>/standalone/<name>/<trial-id>. Sweep trials live in <out>/<sweep>/<trial-id>,
// so the two can never share a folder (a standalone run would otherwise sit
// where the sweep of the same name expects its trial; docs/result-files.md).
#pragma once
#include <filesystem>
#include <string>

namespace altup {

inline constexpr const char* kStandaloneFolder = "standalone";

inline std::string standalone_run_dir(const std::string& out_root, const std::string& name, const std::string& trial_id) {
    return (std::filesystem::path(out_root) / kStandaloneFolder / name / trial_id).string();
}

}  // namespace altup
