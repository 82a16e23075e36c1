// Sweep-level errors: user-facing messages that point into the sweep file.
#pragma once
#include <stdexcept>
#include <string>

#include <yaml-cpp/yaml.h>

namespace altup {

// Where something was written: file and 1-based line/column (0 = unknown).
struct SourcePos {
    std::string file;
    int line = 0;
    int column = 0;

    static SourcePos of(const std::string& file, const YAML::Node& node);
    std::string str() const;  // "file:line:col", or just "file" when unknown
};

// what() is the complete message: "sweep.yaml:4:3: key 'grid.x': what went wrong".
struct SweepError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

[[noreturn]] void throw_sweep_error(const SourcePos& pos, const std::string& key, const std::string& message);

}  // namespace altup
