// Where a standalone `altup train` puts its run when given no --run-dir:
// <out>/standalone/<name>/<trial-id>. Sweep trials live in <out>/<sweep>/<trial-id>,
// so the two can never share a folder (a standalone run would otherwise sit
// where the sweep of the same name expects its trial; docs/result-files.md).
#pragma once
#include <string>

namespace altup {

inline constexpr const char* kStandaloneFolder = "standalone";

}  // namespace altup
