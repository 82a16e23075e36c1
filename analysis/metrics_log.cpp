#include "analysis/metrics_log.hpp"

#include <fstream>

#include <nlohmann/json.hpp>

namespace altup {
namespace {

std::optional<double> number(const nlohmann::json& j, const char* key) {
    auto it = j.find(key);
    if (it == j.end() || !it->is_number()) return std::nullopt;
    return it->get<double>();
}

}  // namespace

std::vector<LoggedLine> read_metrics_log(const std::string& path) {
    std::vector<LoggedLine> out;
    std::ifstream in(path);
    for (std::string text; std::getline(in, text);) {
        const nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
        if (!j.is_object()) continue;
        const auto step = number(j, "step");
        if (!step) continue;
        LoggedLine l;
        l.kind = j.value("kind", "");
        l.step = *step;
        l.time_s = number(j, "time_s");
        l.loss = number(j, "loss");
        l.lr = number(j, "lr");
        l.tokens_per_s = number(j, "tokens_per_s");
        l.perplexity = number(j, "perplexity");
        l.accuracy = l.kind == "finetune_eval" ? number(j, "accuracy") : number(j, "token_accuracy");
        l.macro_f1 = number(j, "macro_f1");
        out.push_back(std::move(l));
    }
    return out;
}

}  // namespace altup
