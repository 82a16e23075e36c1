#include "util/atomic_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace altup {

std::string temporary_path_for(const std::string& path) { return path + ".tmp." + std::to_string(::getpid()); }

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
