// Runs gnuplot on a script file (no shell, bounded time). gnuplot comes from
// the Debian package gnuplot-nox: scriptable, and its svg and pngcairo
// terminals need no X server (docs/analysis.md).
#pragma once
#include <string>

namespace altup {

// The executable's full path, or "" when `name` is not found (a name with a
// '/' is checked as given, else each PATH entry is tried).
std::string find_executable(const std::string& name);

// Throws AnalysisError naming the package when gnuplot is missing, and with
// gnuplot's own message when the script fails.
void run_gnuplot(const std::string& gnuplot, const std::string& script_path);

}  // namespace altup
