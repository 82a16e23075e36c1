// Whole-file writes that readers never see half done: write a temp file in
// the same folder, fsync, rename over the target.
#pragma once
#include <string>

namespace altup {

// Throws std::runtime_error naming the path on failure.
void write_file_atomically(const std::string& path, const std::string& contents);

// The whole file, or "" when it cannot be read.
std::string read_file_or_empty(const std::string& path);

}  // namespace altup
