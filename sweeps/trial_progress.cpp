#include "sweeps/trial_progress.hpp"

#include <algorithm>
#include <fstream>
#include <vector>

#include <nlohmann/json.hpp>

namespace altup {

std::optional<TrialProgress> read_trial_progress(const std::string& run_dir) {
    std::ifstream in(run_dir + "/metrics.jsonl", std::ios::binary);
    if (!in) return std::nullopt;
    // The tail is enough: a training line is about 130 bytes, eval lines come every few hundred steps.
    in.seekg(0, std::ios::end);
    const std::streamoff size = in.tellg();
    const std::streamoff start = std::max<std::streamoff>(0, size - 16 * 1024);
    in.seekg(start);
    std::string tail(static_cast<size_t>(size - start), '\0');
    in.read(tail.data(), static_cast<std::streamsize>(tail.size()));
    tail.resize(static_cast<size_t>(in.gcount()));
    // Complete lines only: up to the last newline, and after the first one when the tail starts mid-file.
    const size_t end = tail.rfind('\n');
    if (end == std::string::npos) return std::nullopt;
    size_t begin = 0;
    if (start > 0) begin = tail.find('\n') + 1;
    std::vector<std::string> lines;
    for (size_t pos = begin; pos < end;) {
        const size_t nl = tail.find('\n', pos);
        lines.push_back(tail.substr(pos, nl - pos));
        pos = nl + 1;
    }
    for (auto it = lines.rbegin(); it != lines.rend(); ++it) {
        const nlohmann::json j = nlohmann::json::parse(*it, nullptr, false);
        if (j.is_discarded() || !j.is_object()) continue;
        const std::string kind = j.value("kind", "");
        if (kind != "train" && kind != "finetune_train") continue;  // pretraining's or fine-tuning's step lines
        const auto step = j.find("step"), loss = j.find("loss"), time = j.find("time_s");
        if (step == j.end() || loss == j.end() || time == j.end() || !step->is_number_integer() || !loss->is_number() ||
            !time->is_number())
            continue;
        return TrialProgress{step->get<int64_t>(), loss->get<double>(), time->get<double>()};
    }
    return std::nullopt;
}

}  // namespace altup
