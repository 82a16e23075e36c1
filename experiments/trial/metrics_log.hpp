// metrics.jsonl, a trial's log of training and evaluation points, one JSON
// object per line (docs/result-files.md). Appended as the trial goes; on
// resume the lines after the checkpoint's step are dropped, since the resumed
// run logs them again.
#pragma once
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

namespace altup {

class MetricsLog {
public:
    explicit MetricsLog(std::string path) : path_(std::move(path)) {}
    void start_empty() const;                       // a fresh trial: no lines
    void drop_after(int64_t step) const;            // resume: keep lines up to `step` (and drop a torn last line)
    void append(const nlohmann::json& line) const;  // one line, flushed
    const std::string& path() const { return path_; }

private:
    std::string path_;
};

}  // namespace altup
