// Shared by the analysis tests: fixture paths and a scratch directory.
#pragma once
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "analysis/analyze_command.hpp"

namespace altup_test {

// A sweep of hand-written results: baseline and altup-k2 at tiny/small/base, plus six unusable files.
inline const std::string kPaperRuns = std::string(ALTUP_SOURCE_DIR) + "/tests/fixtures/analysis/paper";
// Three standalone runs (no labels): two of config "my-baseline", one of "wide".
inline const std::string kStandaloneRuns = std::string(ALTUP_SOURCE_DIR) + "/tests/fixtures/analysis/standalone";

class ScratchDir {
public:
    ScratchDir() {
        std::string pattern = (std::filesystem::temp_directory_path() / "altup-analysis-test-XXXXXX").string();
        path_ = ::mkdtemp(pattern.data()) ? pattern : "";
    }
    ~ScratchDir() {
        std::error_code ec;
        if (!path_.empty()) std::filesystem::remove_all(path_, ec);
    }
    ScratchDir(const ScratchDir&) = delete;
    ScratchDir& operator=(const ScratchDir&) = delete;
    const std::string& path() const { return path_; }

private:
    std::string path_;
};

inline std::string slurp(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

inline void write_text(const std::string& path, const std::string& text) {
    std::filesystem::create_directories(std::filesystem::path(path).parent_path());
    std::ofstream(path, std::ios::binary) << text;
}

// `altup analyze ARGS...` in this process; its exit code.
inline int run_command(std::vector<std::string> args) {
    args.insert(args.begin(), "analyze");
    std::vector<char*> argv;
    for (std::string& a : args) argv.push_back(a.data());
    return altup::analyze_command(static_cast<int>(argv.size()), argv.data());
}

}  // namespace altup_test
