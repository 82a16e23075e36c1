// Files that readers never see half written: write a temp file in the same
// folder, flush and fsync, then rename over the target. Shared by the trainer,
// the sweep runner and analysis (which must not link each other).
#pragma once
#include <functional>
#include <ostream>
#include <string>

namespace altup {

// Throws std::runtime_error naming the path on failure.
void write_file_atomically(const std::string& path, const std::string& contents);
void write_file_atomically(const std::string& path, const std::function<void(std::ostream&)>& write);

// A temporary name in the same folder as `path` (so the rename stays on one filesystem).
std::string temporary_path_for(const std::string& path);

// The whole file, or "" when it cannot be read.
std::string read_file_or_empty(const std::string& path);

}  // namespace altup
