#include "experiments/trial/result_record.hpp"

#include <stdexcept>

#include "experiments/config/config_io.hpp"
#include "layers/model.hpp"
#include "util/atomic_file.hpp"
#include "util/result_file.hpp"
#include "util/utc_time.hpp"

namespace altup {
using json = nlohmann::json;

const char* trial_stage(const Config& cfg) { return cfg.finetuning() ? "finetune" : "pretrain"; }

json result_header(const Config& cfg, const TrialLabels& who, const std::string& status, const std::string& message,
                   int64_t diverged_at) {
    json r;
    r["schema_version"] = kResultSchemaVersion;
    r["trial_id"] = config_id(cfg);
    r["name"] = cfg.name;
    r["stage"] = trial_stage(cfg);
    r["sweep"] = who.sweep.empty() ? json(nullptr) : json(who.sweep);
    r["labels"] = who.labels;
    r["status"] = status;
    r["message"] = message;
    r["diverged_at_step"] = diverged_at >= 0 ? json(diverged_at) : json(nullptr);
    r["config"] = to_json(cfg);
    return r;
}

json params_json(const ParamCounts& c) {
    return {{"total", c.total}, {"embedding", c.embedding}, {"non_embedding", c.non_embedding},
            {"altup_scalars", c.altup_scalars}, {"altup_scalars_per_layer", c.altup_scalars_per_layer}};
}

json failure_record(const Config& cfg, const TrialLabels& who, const std::string& message, const json& previous) {
    const bool keep = previous.is_object() && previous.value("trial_id", json()) == config_id(cfg);
    json r = keep ? previous : json::object();
    for (const char* section : {"params", "train", "env", "started_at"})
        if (!r.contains(section)) r[section] = nullptr;
    if (!r.contains("quality")) r["quality"] = {{"eval_loss", nullptr}, {"perplexity", nullptr}, {"token_accuracy", nullptr}};
    if (!r.contains("speed")) r["speed"] = {{"train_tokens_per_s", nullptr}};
    // The header is this failure's, whatever the earlier record said.
    r.update(result_header(cfg, who, "failed", message, r.value("diverged_at_step", json()).is_number_integer()
                                                            ? r["diverged_at_step"].get<int64_t>()
                                                            : -1));
    r["finished_at"] = utc_now_iso();
    return r;
}

void write_result_record(const std::string& path, const json& record) {
    if (const std::string problem = result_schema_problem(record); !problem.empty())
        throw std::logic_error(path + ": the record to write does not hold the result.json schema: " + problem);
    write_file_atomically(path, record.dump(2) + "\n");
}

}  // namespace altup
