#include "experiments/export/export.hpp"

#include <unistd.h>
#include <zlib.h>

#include <filesystem>
#include <fstream>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include "experiments/config/config_io.hpp"
#include "experiments/data/dataset.hpp"
#include "experiments/data/token_cache.hpp"
#include "experiments/trial/checkpoint_policy.hpp"
#include "experiments/trial/run_info.hpp"
#include "experiments/trial/safetensors.hpp"
#include "layers/model.hpp"
#include "util/atomic_file.hpp"
#include "util/utc_time.hpp"
#include "util/result_file.hpp"

namespace altup {
namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {
[[noreturn]] void refuse(const std::string& what) { throw ExportError("altup export: " + what); }

// The step a checkpoint holds: "step" of a weights-only file, state.step of a resumable one.
long long checkpoint_step(const SafetensorsFile& f, const std::string& path) {
    try {
        if (f.metadata.count("step")) return std::stoll(f.metadata.at("step"));
        if (f.metadata.count("state")) return json::parse(f.metadata.at("state")).at("step").get<long long>();
    } catch (const std::exception&) {
    }
    refuse(path + ": its metadata records no step (not a checkpoint altup wrote?)");
}

// Where this machine keeps the trial's tokens: the trial's data.cache_dir when
// that folder is here, else this machine's default ($ALTUP_DATA_DIR or ./data-cache).
DataConfig local_data_config(DataConfig data) {
    std::error_code ec;
    if (!data.cache_dir.empty() && !fs::is_directory(data.cache_dir, ec)) data.cache_dir.clear();
    return data;
}

// tokenizer.model from the token cache (prepared as training prepared it when
// missing), or "" when the trial's tokens need none.
std::string tokenizer_model(const Config& cfg, bool quiet) {
    if (cfg.data.corpus == CorpusKind::tokens || cfg.data.tokenizer != TokenizerKind::sentencepiece) return "";
    const DataConfig data = local_data_config(cfg.data);
    try {
        if (!load_token_splits(data, cfg.model.vocab)) {
            if (!quiet) std::fprintf(stderr, "altup export: the token cache is not on this machine; preparing it (deterministic)\n");
            prepare_token_splits(data, cfg.model.vocab, quiet);
        }
    } catch (const std::exception& e) {
        refuse(fmt::format("the trial's tokenizer: {}", e.what()));
    }
    const fs::path model = fs::path(token_cache_folder(data, cfg.model.vocab)) / kTokenizerModelFile;
    if (!fs::is_regular_file(model)) refuse(model.string() + ": missing from the token cache (delete the folder to rebuild it)");
    return model.string();
}

// OUT_DIR must be new or empty: an export is never written over other files.
void check_out_dir(const fs::path& out) {
    std::error_code ec;
    if (!fs::exists(out, ec)) return;
    if (!fs::is_directory(out, ec)) refuse(out.string() + " exists and is not a folder");
    if (!fs::is_empty(out, ec)) refuse(out.string() + " exists and is not empty; remove it or give another OUT_DIR");
}
}  // namespace

std::string file_crc32(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error(path + ": cannot be read");
    uLong crc = crc32(0L, Z_NULL, 0);
    std::vector<char> buf(1 << 16);
    while (in) {
        in.read(buf.data(), std::streamsize(buf.size()));
        const std::streamsize n = in.gcount();
        if (n > 0) crc = crc32(crc, reinterpret_cast<const Bytef*>(buf.data()), uInt(n));
    }
    return fmt::format("{:08x}", static_cast<unsigned long>(crc));
}

ExportSummary export_run(const std::string& run_dir, const std::string& out_dir, bool quiet) {
    const fs::path run(run_dir);
    if (!fs::is_directory(run)) refuse(run_dir + ": no such trial folder");
    fs::path out = fs::absolute(out_dir).lexically_normal();
    if (out.filename().empty()) out = out.parent_path();  // "exports/m/" names the folder m
    check_out_dir(out);

    // What the trial says it is: a completed pretraining trial.
    const ResultFile result = read_result_file((run / "result.json").string());
    if (result.absent()) refuse((run / "result.json").string() + ": missing (not a trial folder, or it never started)");
    if (result.invalid()) refuse(result.reason());
    if (result.status != "completed")
        refuse(fmt::format("{}: the trial is {}, not completed; only a finished model is exported", result.path, result.status));
    Config cfg;
    try {
        cfg = load_config((run / "config.yaml").string());
    } catch (const std::exception& e) {
        refuse(e.what());
    }
    if (cfg.finetuning())
        refuse(fmt::format("{} is a fine-tuning trial (finetune.task: {}); export writes language models: export its "
                           "pretraining trial (finetune.from: {})", run_dir, to_string(cfg.finetune.task), cfg.finetune.from));
    const std::string id = config_id(cfg);
    if (result.root.value("trial_id", "") != id)
        refuse(fmt::format("{}: trial_id {} is not the id of the folder's config.yaml ({})", result.path,
                           result.root.value("trial_id", ""), id));

    // The weights: the checkpoint of this trial at its last step, every parameter at its shape.
    const fs::path ckpt = run / "ckpt.safetensors";
    if (!fs::is_regular_file(ckpt))
        refuse(cfg.train.checkpoint == CheckpointKeep::none
                   ? fmt::format("{}: missing; the trial kept no weights (train.checkpoint: none)", ckpt.string())
                   : fmt::format("{}: missing; the weights were not copied with the trial's other files (git keeps no "
                                 "checkpoints): export on the machine that trained it", ckpt.string()));
    SafetensorsFile weights;
    try {
        weights = read_safetensors(ckpt.string());
    } catch (const std::exception& e) {
        refuse(e.what());
    }
    if (weights.metadata["trial_id"] != id)
        refuse(fmt::format("{}: belongs to trial {}, not to this folder's {}", ckpt.string(), weights.metadata["trial_id"], id));
    const long long step = checkpoint_step(weights, ckpt.string());
    const long long steps_done = result.root.value("train", json::object()).value("steps_done", -1LL);
    if (step != steps_done)
        refuse(fmt::format("{}: holds step {}, but the trial ended at step {}", ckpt.string(), step, steps_done));
    LanguageModel model(cfg.model, cfg.seed);  // the architecture: which parameters, which shapes
    std::vector<NamedTensor> tensors;
    for (const auto& p : model.params().params()) {
        auto it = weights.tensors.find(p.name);
        if (it == weights.tensors.end()) refuse(fmt::format("{}: has no parameter {}", ckpt.string(), p.name));
        if (it->second.shape() != p.shape)
            refuse(fmt::format("{}: parameter {} has shape [{}], the config's model expects [{}]", ckpt.string(), p.name,
                               fmt::join(it->second.shape(), ", "), fmt::join(p.shape, ", ")));
        tensors.push_back({p.name, it->second});
    }
    const std::string tokenizer = tokenizer_model(cfg, quiet);

    // Written into a sibling temporary folder, renamed into place at the end:
    // OUT_DIR either holds a whole export or is not there.
    check_out_dir(out);  // again: preparing the tokenizer can take minutes
    const fs::path staging = out.parent_path() / fmt::format(".{}.partial.{}", out.filename().string(), ::getpid());
    std::error_code ec;
    fs::create_directories(out.parent_path(), ec);
    fs::remove_all(staging, ec);
    if (!fs::create_directory(staging, ec)) refuse(staging.string() + ": cannot be created: " + ec.message());
    try {
        write_safetensors((staging / "model.safetensors").string(), tensors,
                          {{"format", kExportFormat}, {"trial_id", id}, {"contents", kFinalWeights}, {"step", std::to_string(step)}});
        write_file_atomically((staging / "config.json").string(), to_json(cfg).dump(2) + "\n");
        if (!tokenizer.empty()) fs::copy_file(tokenizer, staging / kTokenizerModelFile);

        const json quality = result.root.value("quality", json::object());
        json manifest = {
            {"format", kExportFormat},
            {"version", kExportVersion},
            {"trial_id", id},
            {"name", cfg.name},
            {"source_run", fs::absolute(run).lexically_normal().string()},
            {"step", step},
            {"exported_at", utc_now_iso()},
            {"altup_commit", run_env(1, 1).value("git_commit", "")},
            {"tokenizer", cfg.data.corpus == CorpusKind::tokens ? "none (data.corpus: tokens)" : to_string(cfg.data.tokenizer)},
            // What the engine measured on this model, so a reader can check it reproduces it.
            {"engine_eval",
             {{"split", "valid"}, {"loss", quality.value("eval_loss", json(nullptr))},
              {"token_accuracy", quality.value("token_accuracy", json(nullptr))},
              {"seq_len", cfg.model.seq_len}, {"batch", cfg.eval.batch}, {"batches", cfg.eval.batches},
              {"dtype", cfg.train.dtype}}},
        };
        json files = json::object();
        for (const auto& entry : fs::directory_iterator(staging)) {
            const std::string name = entry.path().filename().string();
            files[name] = {{"bytes", fs::file_size(entry.path())}, {"crc32", file_crc32(entry.path().string())}};
        }
        manifest["files"] = files;
        write_file_atomically((staging / "export.json").string(), manifest.dump(2) + "\n");
        if (fs::exists(out)) fs::remove(out);  // empty (checked above)
        fs::rename(staging, out);
    } catch (const std::exception& e) {
        fs::remove_all(staging, ec);
        throw std::runtime_error(fmt::format("altup export: writing {}: {}", out.string(), e.what()));
    }
    ExportSummary s;
    s.out_dir = out.string();
    s.trial_id = id;
    for (const auto& t : tensors) s.parameters += t.tensor.numel();
    s.tokenizer = !tokenizer.empty();
    return s;
}

}  // namespace altup
