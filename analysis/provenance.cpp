#include "analysis/provenance.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "analysis/result_loader.hpp"
#include "util/json_path.hpp"

namespace altup {
namespace {

using nlohmann::json;

struct Field {
    const char* name;
    const char* path;  // dotted, in result.json
    bool finetune_only = false;
    bool date = false;  // an ISO time stamp: its date, summarised as a range
};

// What says how a number came about, in report order: the code, when, and the
// settings that change quality (steps, batch, length, precision) or speed
// (threads, ISA, oneDNN). Labels (variant, preset, lr, ...) are in the tables.
const std::vector<Field>& fields() {
    static const std::vector<Field> list = {
        {"commit", "env.git_commit"},
        {"sweep", "sweep"},
        {"finished", "finished_at", false, true},
        {"steps", "config.train.steps"},
        {"fine-tune steps", "config.finetune.steps", true},
        {"batch", "config.train.batch"},
        {"seq_len", "config.model.seq_len"},
        {"dtype", "config.train.dtype"},
        {"threads", "env.threads"},
        {"isa", "env.isa"},
        {"oneDNN", "env.onednn_version"},
    };
    return list;
}

std::string trials_text(int n) { return fmt::format("{} trial{}", n, n == 1 ? "" : "s"); }

}  // namespace

std::map<std::string, std::string> read_provenance(const json& root) {
    std::map<std::string, std::string> out;
    const json* stage = find_json_path(root, "stage");
    const bool finetune = stage && stage->is_string() && *stage == "finetune";
    for (const Field& f : fields()) {
        if (f.finetune_only && !finetune) continue;
        const json* v = find_json_path(root, f.path);
        if (!v || v->is_null() || v->is_object() || v->is_array()) continue;
        std::string text = v->is_string() ? v->get<std::string>() : v->dump();
        if (f.date) text = text.substr(0, 10);  // 2026-11-28T19:00:00Z -> 2026-11-28
        if (!text.empty()) out[f.name] = text;
    }
    return out;
}

std::vector<ProvenanceLine> summarize_provenance(const std::vector<const TrialResult*>& trials) {
    std::vector<ProvenanceLine> lines;
    for (const Field& f : fields()) {
        std::map<std::string, int> counts;
        int eligible = 0;
        for (const TrialResult* t : trials) {
            if (f.finetune_only && t->stage != "finetune") continue;
            ++eligible;
            auto it = t->provenance.find(f.name);
            if (it != t->provenance.end()) ++counts[it->second];
        }
        if (counts.empty()) continue;
        ProvenanceLine line;
        line.field = f.name;
        line.values.assign(counts.begin(), counts.end());  // by value: dates in order
        if (!f.date)
            std::stable_sort(line.values.begin(), line.values.end(),
                             [](const auto& x, const auto& y) { return x.second > y.second; });
        for (const auto& v : line.values) line.without -= v.second;
        line.without += eligible;
        line.range = f.date;
        lines.push_back(std::move(line));
    }
    return lines;
}

std::string provenance_text(const ProvenanceLine& line) {
    std::vector<std::string> parts;
    if (line.range) {
        const std::string& first = line.values.front().first;
        const std::string& last = line.values.back().first;
        parts.push_back(first == last ? first : first + " to " + last);
    } else if (line.values.size() == 1 && line.without == 0) {
        parts.push_back(line.values.front().first);
    } else {
        constexpr std::size_t kShown = 4;  // a commit per trial would drown the line
        for (std::size_t i = 0; i < line.values.size() && i < kShown; ++i)
            parts.push_back(fmt::format("{} ({})", line.values[i].first, trials_text(line.values[i].second)));
        if (line.values.size() > kShown) {
            int rest = 0;
            for (std::size_t i = kShown; i < line.values.size(); ++i) rest += line.values[i].second;
            parts.push_back(fmt::format("{} other values ({})", line.values.size() - kShown, trials_text(rest)));
        }
    }
    if (line.without > 0) parts.push_back(fmt::format("not recorded ({})", trials_text(line.without)));
    return fmt::format("{}: {}", line.field, fmt::join(parts, ", "));
}

std::string provenance_sentence(const std::vector<ProvenanceLine>& lines) {
    std::vector<std::string> parts;
    for (const ProvenanceLine& l : lines) parts.push_back(provenance_text(l));
    return fmt::format("{}", fmt::join(parts, "; "));
}

json provenance_json(const std::vector<ProvenanceLine>& lines) {
    json out = json::object();
    for (const ProvenanceLine& l : lines) {
        json values = json::object();
        for (const auto& [value, n] : l.values) values[value] = n;
        out[l.field] = {{"values", values}, {"not_recorded", l.without}};
    }
    return out;
}

}  // namespace altup
