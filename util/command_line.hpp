// Small pieces of command-line parsing that several commands share.
#pragma once
#include <stdexcept>
#include <string>

#include <fmt/format.h>

namespace altup {

// A bad argument: the command prints it with its usage hint and exits 2.
struct UsageError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// `text` as an integer >= min, all of it; else a UsageError naming the option.
inline int parse_count(const std::string& option, const std::string& text, int min) {
    try {
        size_t used = 0;
        const int value = std::stoi(text, &used);
        if (used == text.size() && value >= min) return value;
    } catch (const std::exception&) {
    }
    throw UsageError(fmt::format("{} expects an integer >= {}, got '{}'", option, min, text));
}

}  // namespace altup
