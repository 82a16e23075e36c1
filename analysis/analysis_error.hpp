// The one exception type of analysis/: its message is shown to the user as is.
#pragma once
#include <stdexcept>
#include <string>

namespace altup {

struct AnalysisError : std::runtime_error {
    explicit AnalysisError(const std::string& message) : std::runtime_error(message) {}
};

}  // namespace altup
