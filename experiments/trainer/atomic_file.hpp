// Files that are either fully written or not there: write to a temp file in
// the same directory, flush and fsync, then rename over the target.
#pragma once
#include <functional>
#include <ostream>
#include <string>

namespace altup {

void write_file_atomically(const std::string& path, const std::function<void(std::ostream&)>& write);
void write_text_atomically(const std::string& path, const std::string& text);

}  // namespace altup
