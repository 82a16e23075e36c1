#include "util/atomic_file.hpp"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace altup {
namespace {

std::string this_host() {
    char name[HOST_NAME_MAX + 1] = {};
    if (::gethostname(name, sizeof name - 1) != 0 || name[0] == '\0') return "localhost";
    return name;
}

bool all_digits(const std::string& s) {
    if (s.empty() || s.size() > 9) return false;  // a pid, not any long number
    for (char c : s)
        if (c < '0' || c > '9') return false;
    return true;
}

// kill(pid, 0) fails with ESRCH only when no such process exists; EPERM means it does.
bool process_exists(long pid) { return pid > 0 && (::kill(static_cast<pid_t>(pid), 0) == 0 || errno != ESRCH); }

}  // namespace

std::string temporary_path_for(const std::string& path) {
    return path + ".tmp." + this_host() + "." + std::to_string(::getpid());
}

std::optional<TemporaryWriter> temporary_writer_of(const std::string& file_name) {
    const size_t marker = file_name.rfind(".tmp.");
    if (marker == std::string::npos || marker == 0) return std::nullopt;
    const std::string writer = file_name.substr(marker + 5);  // "<host>.<pid>" or "<pid>"
    const size_t dot = writer.rfind('.');
    const std::string pid = dot == std::string::npos ? writer : writer.substr(dot + 1);
    const std::string host = dot == std::string::npos ? "" : writer.substr(0, dot);
    if (!all_digits(pid) || (dot != std::string::npos && host.empty())) return std::nullopt;
    return TemporaryWriter{file_name.substr(0, marker), host, std::stol(pid)};
}

std::vector<std::string> remove_stale_temporaries(const std::string& dir) {
    namespace fs = std::filesystem;
    std::vector<std::string> removed;
    std::error_code ec;
    const std::string host = this_host();
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
        if (!it->is_regular_file(ec)) continue;
        const auto writer = temporary_writer_of(it->path().filename().string());
        if (!writer || (!writer->host.empty() && writer->host != host) || process_exists(writer->pid)) continue;
        std::error_code remove_ec;
        if (fs::remove(it->path(), remove_ec)) removed.push_back(it->path().string());
    }
    return removed;
}

void write_file_atomically(const std::string& path, const std::function<void(std::ostream&)>& write) {
    const std::string tmp = temporary_path_for(path);
    {
        std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
        if (!out) throw std::runtime_error(path + ": cannot write (" + tmp + ")");
        write(out);
        out.flush();
        if (!out) {
            out.close();
            std::remove(tmp.c_str());
            throw std::runtime_error(path + ": write failed (disk full?)");
        }
    }
    const int fd = ::open(tmp.c_str(), O_RDONLY);
    if (fd >= 0) {
        ::fsync(fd);
        ::close(fd);
    }
    if (std::rename(tmp.c_str(), path.c_str()) != 0) {
        std::remove(tmp.c_str());
        throw std::runtime_error(path + ": cannot rename the temp file into place");
    }
}

void write_file_atomically(const std::string& path, const std::string& contents) {
    write_file_atomically(path, [&](std::ostream& out) { out << contents; });
}

std::string read_file_or_empty(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return "";
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

}  // namespace altup
