#include "util/shell.hpp"

#include <array>
#include <cstdio>
#include <stdexcept>

namespace altup {

std::string shell_quote(const std::string& text) {
    std::string out = "'";
    for (char c : text) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return out + "'";
}

CommandOutput run_command(const std::string& command) {
    CommandOutput r;
    FILE* p = ::popen((command + " 2>&1").c_str(), "r");
    if (!p) throw std::runtime_error("cannot run: " + command);
    std::array<char, 4096> buf;
    size_t n;
    while ((n = std::fread(buf.data(), 1, buf.size(), p)) > 0) r.output.append(buf.data(), n);
    r.status = ::pclose(p);
    return r;
}

}  // namespace altup
