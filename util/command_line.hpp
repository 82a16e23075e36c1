// Small pieces of command-line parsing that several commands share.
#pragma once
#include <cstdio>
#include <optional>
#include <stdexcept>
#include <string>

#include <fmt/format.h>

namespace altup {

// Every command's exit code for bad arguments (or a config refused before
// anything ran: the trainer's kBadConfig in util/trial_exit.hpp is the same 2).
constexpr int kExitUsage = 2;

// A bad argument: the command prints it with its usage hint and exits 2.
struct UsageError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// `parse` fills `args` from argv, or returns nothing for --help. Returns the
// exit code the command should stop with (0 after printing `usage`,
// kExitUsage after printing the UsageError), or nothing when it should go on.
template <class Args, class Parse>
std::optional<int> read_arguments(const char* command, const char* usage, Parse parse, int argc, char** argv,
                                  Args& args) {
    try {
        std::optional<Args> parsed = parse(argc, argv);
        if (!parsed) {
            std::fputs(usage, stdout);
            return 0;
        }
        args = std::move(*parsed);
        return std::nullopt;
    } catch (const UsageError& e) {
        fmt::print(stderr, "{}: {} ({} --help lists the options)\n", command, e.what(), command);
        return kExitUsage;
    }
}

// Walks argv one argument at a time. An option's value is inline
// ("--rounds=5") or the next argument ("--rounds 5"); anything else
// (a file, an unknown option) is the caller's to judge.
class ArgumentCursor {
public:
    ArgumentCursor(int argc, char** argv) : argc_(argc), argv_(argv) {}
    // Moves to the next argument; false after the last.
    bool next() {
        if (++i_ >= argc_) return false;
        option_ = argv_[i_];
        inline_value_.reset();
        const size_t eq = option_.find('=');
        if (option_.rfind("--", 0) == 0 && eq != std::string::npos) {
            inline_value_ = option_.substr(eq + 1);
            option_ = option_.substr(0, eq);
        }
        return true;
    }
    // The argument (an option without its inline value).
    const std::string& option() const { return option_; }
    // The option's value, consuming the next argument when it was not inline.
    std::string value() {
        if (inline_value_) return *inline_value_;
        if (i_ + 1 >= argc_) throw UsageError(fmt::format("{} needs a value", option_));
        return argv_[++i_];
    }
    std::string non_empty_value() {
        std::string v = value();
        if (v.empty()) throw UsageError(fmt::format("{} needs a non-empty value", option_));
        return v;
    }

private:
    int argc_;
    char** argv_;
    int i_ = 0;
    std::string option_;
    std::optional<std::string> inline_value_;
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
