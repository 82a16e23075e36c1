// Output files appear whole or not at all: written to a temporary beside the
// target, then renamed over it.
#pragma once
#include <string>

namespace altup {

// Throws AnalysisError naming the path on failure.
void write_file_atomically(const std::string& path, const std::string& content);

// A temporary name in the same directory as `path` (so rename stays on one filesystem).
std::string temporary_path_for(const std::string& path);

}  // namespace altup
