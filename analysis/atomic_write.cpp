#include "analysis/atomic_write.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>

#include <fmt/format.h>

#include "analysis/analysis_error.hpp"

namespace altup {

std::string temporary_path_for(const std::string& path) {
    static int counter = 0;
    return fmt::format("{}.tmp.{}.{}", path, static_cast<long>(::getpid()), counter++);
}

void write_file_atomically(const std::string& path, const std::string& content) {
    const std::string tmp = temporary_path_for(path);
    {
        std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
        if (!out) throw AnalysisError(fmt::format("cannot write '{}': {}", path, std::strerror(errno)));
        out << content;
        out.flush();
        if (!out) {
            std::remove(tmp.c_str());
            throw AnalysisError(fmt::format("cannot write '{}': write failed", path));
        }
    }
    std::error_code ec;
    std::filesystem::rename(tmp, path, ec);
    if (ec) {
        std::remove(tmp.c_str());
        throw AnalysisError(fmt::format("cannot write '{}': {}", path, ec.message()));
    }
}

}  // namespace altup
