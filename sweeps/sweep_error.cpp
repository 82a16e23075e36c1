#include "sweeps/sweep_error.hpp"

#include <fmt/format.h>

namespace altup {

SourcePos SourcePos::of(const std::string& file, const YAML::Node& node) {
    SourcePos pos{file, 0, 0};
    if (node.IsDefined() && node.Mark().line >= 0) {  // yaml-cpp marks are 0-based, -1 when unknown
        pos.line = node.Mark().line + 1;
        pos.column = node.Mark().column + 1;
    }
    return pos;
}

std::string SourcePos::str() const {
    if (line <= 0) return file;
    return fmt::format("{}:{}:{}", file, line, column);
}

void throw_sweep_error(const SourcePos& pos, const std::string& key, const std::string& message) {
    if (key.empty()) throw SweepError(fmt::format("{}: {}", pos.str(), message));
    throw SweepError(fmt::format("{}: key '{}': {}", pos.str(), key, message));
}

}  // namespace altup
