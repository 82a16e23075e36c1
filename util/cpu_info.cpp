#include "util/cpu_info.hpp"

#include <fstream>
#include <sstream>

namespace altup {

std::string cpu_model_from_cpuinfo(const std::string& cpuinfo) {
    std::istringstream in(cpuinfo);
    std::string line;
    while (std::getline(in, line)) {
        // "model name\t: AMD EPYC" (the key is padded with tabs)
        const size_t colon = line.find(':');
        if (colon == std::string::npos || colon == 0) continue;
        const std::string key = line.substr(0, line.find_last_not_of(" \t", colon - 1) + 1);
        if (key != "model name") continue;
        const size_t begin = line.find_first_not_of(" \t", colon + 1);
        if (begin == std::string::npos) continue;
        return line.substr(begin, line.find_last_not_of(" \t\r") + 1 - begin);
    }
    return "unknown";
}

const std::string& cpu_model() {
    static const std::string model = [] {
        std::ifstream in("/proc/cpuinfo");
        std::stringstream text;
        text << in.rdbuf();
        return cpu_model_from_cpuinfo(text.str());
    }();
    return model;
}

}  // namespace altup
