// Every file below a folder with its bytes: two snapshots are equal when
// nothing in the folder changed (fault-injection tests: "nothing was lost").
#pragma once
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <string>

namespace altup_test {

inline std::map<std::string, std::string> folder_snapshot(const std::filesystem::path& dir) {
    std::map<std::string, std::string> out;
    for (const auto& e : std::filesystem::recursive_directory_iterator(dir))
        if (e.is_regular_file()) {
            std::ifstream in(e.path(), std::ios::binary);
            out[std::filesystem::relative(e.path(), dir).string()] = std::string(std::istreambuf_iterator<char>(in), {});
        }
    return out;
}

}  // namespace altup_test
