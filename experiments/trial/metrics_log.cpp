#include "experiments/trial/metrics_log.hpp"

#include <fstream>

#include "util/atomic_file.hpp"

namespace altup {

void MetricsLog::start_empty() const { std::ofstream(path_, std::ios::trunc); }

void MetricsLog::drop_after(int64_t step) const {
    std::ifstream in(path_);
    std::string line, kept;
    while (std::getline(in, line)) {
        try {
            if (nlohmann::json::parse(line).value("step", int64_t(0)) <= step) kept += line + "\n";
        } catch (const std::exception&) {
            // a torn last line from a killed process: drop it
        }
    }
    write_file_atomically(path_, kept);
}

void MetricsLog::append(const nlohmann::json& line) const {
    std::ofstream out(path_, std::ios::app);
    out << line.dump() << '\n';
}

}  // namespace altup
