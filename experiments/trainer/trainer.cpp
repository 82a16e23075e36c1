#include "experiments/trainer/trainer.hpp"

#include <omp.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <csignal>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/dnn.hpp"
#include "core/ops.hpp"
#include "core/optim.hpp"
#include "experiments/config/config_io.hpp"
#include "experiments/data/dataset.hpp"
#include "util/atomic_file.hpp"
#include "experiments/trainer/distributed.hpp"
#include "experiments/trainer/evaluate.hpp"
#include "experiments/trainer/run_folder.hpp"
#include "experiments/trainer/run_info.hpp"
#include "experiments/trainer/checkpoint_policy.hpp"
#include "experiments/trainer/quiet_progress.hpp"
#include "experiments/trainer/safetensors.hpp"
#include "experiments/trainer/train_step.hpp"
#include "layers/model.hpp"

namespace altup {
namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {
void on_stop(int sig) { set_stop_signal(sig); }

json eval_json(const EvalResult& e) {
    return {{"loss", num_or_null(e.loss)}, {"perplexity", num_or_null(e.perplexity)}, {"token_accuracy", num_or_null(e.accuracy)}};
}

// Everything that changes while training and has to survive a resume.
struct Progress {
    int64_t step = 0;                 // optimizer steps done
    double elapsed_s = 0;             // training wall time before this process
    json curve = json::array();       // eval points
    std::vector<double> step_ms;      // timed steps (warm-up excluded)
    double last_train_loss = std::nan("");
    int64_t diverged_at = -1;
};

class TrialRun {
public:
    TrialRun(const Config& cfg, const TrainOptions& opts) : cfg_(cfg), opts_(opts) {}
    int run();

private:
    void write_result(const std::string& status, const std::string& message);
    void save_checkpoint(bool resumable = true);
    void restore_checkpoint(SafetensorsFile& f);
    void log_metrics(const json& line);
    void evaluate_now(double now_s);
    void progress_line(double loss, double tokens_per_s, bool final);

    const Config& cfg_;
    const TrainOptions& opts_;
    std::string started_at_ = now_iso();
    std::unique_ptr<LanguageModel> model_;
    std::unique_ptr<Optimizer> optim_;
    TokenSplits data_;
    Rng data_rng_;
    Progress p_;
    EvalResult last_eval_{std::nan(""), std::nan(""), std::nan(""), std::nan(""), 0};
    EvalResult test_eval_{std::nan(""), std::nan(""), std::nan(""), std::nan(""), 0};
    bool have_test_ = false;
    int threads_ = 1;
    std::chrono::steady_clock::time_point t_start_ = std::chrono::steady_clock::now();
    bool tty_ = ::isatty(STDERR_FILENO);
    QuietProgress quiet_progress_{opts_.progress_every_s};
    const Distributed& dist_ = distributed();
    TrialLock lock_;  // this trial's run folder, until the run object goes
    bool root_ = dist_.is_root();  // only rank 0 writes files and evaluates
    std::string path(const char* name) const { return (fs::path(opts_.run_dir) / name).string(); }
    double now_s() const {
        return p_.elapsed_s + std::chrono::duration<double>(std::chrono::steady_clock::now() - t_start_).count();
    }
};

void TrialRun::log_metrics(const json& line) {
    if (!root_) return;
    std::ofstream out(path("metrics.jsonl"), std::ios::app);
    out << line.dump() << '\n';
}

void TrialRun::write_result(const std::string& status, const std::string& message) {
    if (!root_) return;
    json r = result_header(cfg_, opts_.sweep, opts_.labels, "pretrain", status, message, p_.diverged_at);
    if (model_) {
        const ParamCounts c = model_->param_counts();
        r["params"] = {{"total", c.total}, {"embedding", c.embedding}, {"non_embedding", c.non_embedding},
                       {"altup_scalars", c.altup_scalars}, {"altup_scalars_per_layer", c.altup_scalars_per_layer}};
    } else {
        r["params"] = nullptr;
    }
    r["quality"] = {{"eval_loss", num_or_null(last_eval_.loss)}, {"perplexity", num_or_null(last_eval_.perplexity)},
                    {"token_accuracy", num_or_null(last_eval_.accuracy)},
                    {"test", have_test_ ? eval_json(test_eval_) : json(nullptr)}, {"curve", p_.curve}};
    const int64_t tokens_per_step = int64_t(cfg_.train.batch) * cfg_.train.grad_accum * cfg_.model.seq_len;
    const double median = percentile(p_.step_ms, 0.5);
    r["train"] = {{"steps_done", p_.step}, {"tokens_seen", p_.step * tokens_per_step},
                  {"final_train_loss", num_or_null(p_.last_train_loss)}, {"wall_time_s", now_s()}};
    r["speed"] = {{"train_tokens_per_s", num_or_null(double(tokens_per_step) / (median / 1000.0))},
                  {"ms_per_step", {{"median", num_or_null(median)}, {"p10", num_or_null(percentile(p_.step_ms, 0.1))},
                                   {"p90", num_or_null(percentile(p_.step_ms, 0.9))}}},
                  {"eval_tokens_per_s", num_or_null(last_eval_.tokens_per_s)},
                  {"peak_rss_mb", peak_rss_mb()},
                  {"flops_per_step", model_ ? json(flops_per_step(*model_, cfg_)) : json(nullptr)}};
    r["env"] = run_env(threads_, dist_.size());
    r["started_at"] = started_at_;
    r["finished_at"] = status == "running" ? json(nullptr) : json(now_iso());
    write_file_atomically(path("result.json"), r.dump(2) + "\n");
}

// resumable: with the optimizer state and step state; else the weights alone
// (train.checkpoint: final, once the trial completed).
void TrialRun::save_checkpoint(bool resumable) {
    if (!root_) return;
    std::vector<NamedTensor> tensors;
    for (const auto& p : model_->params().params()) tensors.push_back({p.name, p.var->value});
    if (!resumable) {
        write_safetensors(path("ckpt.safetensors"), tensors,
                          {{"format", "altup-lab checkpoint v1"}, {"trial_id", config_id(cfg_)}, {"contents", kFinalWeights},
                           {"step", std::to_string(p_.step)}});
        return;
    }
    for (auto& [name, t] : optim_->state()) tensors.push_back({"optimizer." + name, t});
    json state;
    state["step"] = p_.step;
    state["optimizer_steps"] = optim_->steps_taken();
    state["data_rng"] = data_rng_.state();
    state["elapsed_s"] = now_s();
    state["curve"] = p_.curve;
    state["step_ms"] = p_.step_ms;
    state["last_train_loss"] = num_or_null(p_.last_train_loss);
    state["last_eval"] = {last_eval_.loss, last_eval_.perplexity, last_eval_.accuracy, last_eval_.tokens_per_s};
    write_safetensors(path("ckpt.safetensors"), tensors,
                      {{"format", "altup-lab checkpoint v1"}, {"trial_id", config_id(cfg_)}, {"state", state.dump()}});
}

void TrialRun::restore_checkpoint(SafetensorsFile& f) {
    if (f.metadata["trial_id"] != config_id(cfg_))
        throw std::runtime_error(path("ckpt.safetensors") + ": belongs to trial " + f.metadata["trial_id"] +
                                 ", not to this config (" + config_id(cfg_) + ")");
    if (f.metadata["contents"] == kFinalWeights)
        throw std::runtime_error(path("ckpt.safetensors") + ": holds the final weights of a completed trial (train.checkpoint: "
                                 "final), not a state to resume from");
    auto restore = [&](const std::string& name, const Tensor& into) {
        auto it = f.tensors.find(name);
        if (it == f.tensors.end() || it->second.numel() != into.numel())
            throw std::runtime_error(path("ckpt.safetensors") + ": missing or mis-sized tensor " + name);
        into.copy_from(it->second);
    };
    for (const auto& p : model_->params().params()) restore(p.name, p.var->value);
    for (auto& [name, t] : optim_->state()) restore("optimizer." + name, t);
    const json s = json::parse(f.metadata["state"]);
    p_.step = s.at("step");
    optim_->set_steps_taken(s.at("optimizer_steps"));
    data_rng_.set_state(s.at("data_rng").get<std::array<uint64_t, 6>>());
    p_.elapsed_s = s.at("elapsed_s");
    p_.curve = s.at("curve");
    p_.step_ms = s.at("step_ms").get<std::vector<double>>();
    p_.last_train_loss = s.at("last_train_loss").is_null() ? std::nan("") : s.at("last_train_loss").get<double>();
    const auto& le = s.at("last_eval");
    auto num = [](const json& v) { return v.is_null() ? std::nan("") : v.get<double>(); };
    last_eval_ = {num(le[0]), num(le[1]), num(le[2]), num(le[3]), 0};
    if (root_) drop_metrics_after(path("metrics.jsonl"), p_.step);
}

void TrialRun::evaluate_now(double t) {
    if (!root_) return;
    last_eval_ = evaluate(*model_, data_.valid, cfg_.model.seq_len, cfg_.eval.batch, cfg_.eval.batches);
    json point = {{"step", p_.step}, {"time_s", t}, {"loss", last_eval_.loss}, {"perplexity", last_eval_.perplexity},
                  {"token_accuracy", last_eval_.accuracy}};
    p_.curve.push_back(point);
    json line = point;
    line["kind"] = "eval";
    line["eval_tokens_per_s"] = last_eval_.tokens_per_s;
    log_metrics(line);
    if (!opts_.quiet)
        std::cerr << (tty_ ? "\r\033[K" : "")
                  << fmt::format("eval @ step {}: loss {:.4f}  ppl {:.2f}  acc {:.2f}%\n", p_.step, last_eval_.loss,
                                 last_eval_.perplexity, 100.0 * last_eval_.accuracy);
}

void TrialRun::progress_line(double loss, double tokens_per_s, bool final) {
    if (!root_) return;
    if (opts_.quiet && !quiet_progress_.due(final)) return;
    const double eta = tokens_per_s > 0 ? double(cfg_.train.steps - p_.step) * cfg_.train.batch * cfg_.train.grad_accum *
                                              cfg_.model.seq_len / tokens_per_s
                                        : 0.0;
    const std::string msg = fmt::format("step {}/{}  loss {:.4f}  {:.0f} tok/s  ETA {}:{:02d}", p_.step, cfg_.train.steps,
                                        loss, tokens_per_s, int(eta) / 60, int(eta) % 60);
    if (tty_ && !opts_.quiet)
        std::cerr << "\r\033[K" << msg << (final ? "\n" : "") << std::flush;
    else
        std::cerr << msg << "\n";
}

int TrialRun::run() {
    // Nothing is written before the folder is known to be this trial's and the
    // checkpoint to resume from is known to be intact.
    check_run_folder(opts_.run_dir, config_id(cfg_));
    std::optional<SafetensorsFile> checkpoint;
    if (opts_.resume && fs::exists(path("ckpt.safetensors"))) {
        checkpoint = read_safetensors(path("ckpt.safetensors"));
        if (!checkpoint->checksummed && !opts_.quiet && root_)
            std::cerr << path("ckpt.safetensors") << ": written before checkpoints carried checksums; resuming unverified\n";
    }
    fs::create_directories(opts_.run_dir);
    // Under MPI the launcher holds it (the ranks of one process group share the trial).
    if (dist_.size() == 1) lock_ = lock_run_folder(opts_.run_dir, config_id(cfg_));
    if (cfg_.train.threads > 0) omp_set_num_threads(cfg_.train.threads);
    threads_ = omp_get_max_threads();
    dnn::set_matmul_precision(cfg_.train.dtype == "bf16" ? dnn::Precision::bf16 : dnn::Precision::f32);
    if (cfg_.train.batch % dist_.size() != 0)
        throw std::runtime_error(fmt::format("train.batch = {} does not split over {} MPI ranks", cfg_.train.batch, dist_.size()));
    if (root_) {
        write_file_atomically(path("config.yaml"), config_yaml_text(cfg_));
    }
    write_result("running", "");

    data_ = prepare_token_splits(cfg_.data, cfg_.model.vocab, opts_.quiet);
    model_ = std::make_unique<LanguageModel>(cfg_.model, cfg_.seed);
    const auto& tc = cfg_.train;
    optim_ = make_optimizer(tc.optimizer, model_->params(), tc.beta1, tc.beta2, tc.eps, tc.weight_decay);
    const LrSchedule schedule{tc.schedule, tc.lr, tc.warmup, tc.steps, tc.min_lr_ratio};
    data_rng_.reseed(cfg_.seed * 0x9E3779B97F4A7C15ULL + 0xDA7A);

    const bool resumed = checkpoint.has_value();
    if (resumed) {
        restore_checkpoint(*checkpoint);
        checkpoint.reset();  // the tensors were copied; free them
    } else {
        // Identical on every rank already (same seed); the broadcast makes it a guarantee.
        dist_.broadcast(model_->params().data().data(), model_->params().total());
        if (root_) std::ofstream(path("metrics.jsonl"), std::ios::trunc);
    }
    if (!opts_.quiet && root_)
        std::cerr << fmt::format("{}: {} parameters, {} threads{}\n", cfg_.name, model_->param_counts().total, threads_,
                                 resumed ? fmt::format(", resumed at step {}", p_.step) : "");
    write_result("running", "");

    const int64_t B = tc.batch, T = cfg_.model.seq_len;
    const int64_t warmup_steps = std::min<int64_t>(5, std::max<int64_t>(1, tc.steps / 10));
    TrainStep train_step(*model_, *optim_, dist_, cfg_);
    auto next_batch = [&](int32_t* inputs, int32_t* targets) { sample_batch(data_.train, int(B), int(T), data_rng_, inputs, targets); };
    t_start_ = std::chrono::steady_clock::now();
    const int64_t tokens_per_step = B * T * tc.grad_accum;
    double window_tokens = 0, window_s = 0;

    while (p_.step < tc.steps) {
        if (opts_.stop_after_step >= 0 && p_.step >= opts_.stop_after_step) set_stop_signal(SIGTERM);
        if (dist_.any(stop_signal() != 0)) {
            if (!stop_signal()) set_stop_signal(SIGTERM);
            save_checkpoint();
            write_result("running", "interrupted at step " + std::to_string(p_.step) + "; resume with --resume");
            if (!opts_.quiet && root_) std::cerr << "\nstopped at step " << p_.step << " (checkpoint saved)\n";
            const int code = stop_signal() == SIGINT ? kInterruptedInt : kInterruptedTerm;
            set_stop_signal(0);
            return code;
        }
        const auto t0 = std::chrono::steady_clock::now();
        const double loss = train_step.run(next_batch, schedule.at(p_.step));
        if (!std::isfinite(loss)) {
            p_.diverged_at = p_.step;
            write_result("diverged", fmt::format("non-finite training loss at step {}", p_.step));
            if (!opts_.quiet && root_) std::cerr << "\ndiverged at step " << p_.step << "\n";
            return kDiverged;
        }
        ++p_.step;
        p_.last_train_loss = loss;
        const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
        if (p_.step > warmup_steps) p_.step_ms.push_back(ms);
        window_tokens += double(tokens_per_step);
        window_s += ms / 1000.0;

        if (p_.step % tc.log_every == 0 || p_.step == tc.steps) {
            const double tps = window_s > 0 ? window_tokens / window_s : 0;
            log_metrics({{"kind", "train"}, {"step", p_.step}, {"loss", loss}, {"lr", schedule.at(p_.step - 1)},
                         {"tokens_per_s", tps}, {"time_s", now_s()}});
            progress_line(loss, tps, false);
            window_tokens = window_s = 0;
        }
        if (cfg_.eval.every > 0 && p_.step % cfg_.eval.every == 0 && p_.step < tc.steps) evaluate_now(now_s());
        if (tc.checkpoint_every > 0 && p_.step % tc.checkpoint_every == 0 && p_.step < tc.steps) {
            save_checkpoint();
            if (tc.checkpoint == "all" && root_) keep_step_copy(path("ckpt.safetensors"), p_.step);
            write_result("running", "");
        }
    }
    const double train_s = now_s();
    if (p_.curve.empty() || p_.curve.back().at("step") != p_.step) evaluate_now(train_s);
    if (root_) {
        test_eval_ = evaluate(*model_, data_.test, cfg_.model.seq_len, cfg_.eval.batch, cfg_.eval.batches);
        have_test_ = true;
    }
    // The resumable state first: a kill before the result is written resumes from it.
    save_checkpoint();
    write_result("completed", "");
    if (root_) finish_checkpoints(tc.checkpoint, path("ckpt.safetensors"), [&] { save_checkpoint(false); });
    if (!opts_.quiet && root_)
        std::cerr << fmt::format("done: validation loss {:.4f}, perplexity {:.2f}, accuracy {:.2f}%; test loss {:.4f}, "
                                 "accuracy {:.2f}%; {:.0f} train tok/s\n",
                                 last_eval_.loss, last_eval_.perplexity, 100 * last_eval_.accuracy, test_eval_.loss,
                                 100 * test_eval_.accuracy, double(tokens_per_step) / (percentile(p_.step_ms, 0.5) / 1000.0));
    return kCompleted;
}
}  // namespace

void install_stop_handlers() {
    struct sigaction sa{};
    sa.sa_handler = on_stop;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGTERM, &sa, nullptr);
}

int run_trial(const Config& cfg, const TrainOptions& opts) {
    if (cfg.finetune.task != "none") {
        std::cerr << cfg.name << ": a fine-tuning config (finetune.task = " << cfg.finetune.task << ") goes to run_finetune\n";
        return kBadConfig;
    }
    TrialRun run(cfg, opts);
    try {
        return run.run();
    } catch (const RunFolderRefused& e) {
        std::cerr << cfg.name << ": " << e.what() << "\n";  // nothing was written; nothing is recorded
        return kBadConfig;
    } catch (const std::exception& e) {
        std::cerr << "\n" << cfg.name << ": failed: " << e.what() << "\n";
        if (holds_completed_result(opts.run_dir, config_id(cfg))) {
            std::cerr << cfg.name << ": " << (fs::path(opts.run_dir) / "result.json").string() << " (completed) is kept\n";
            return kFailed;
        }
        try {  // record the failure, keeping whatever the run had already written
            nlohmann::json r;
            std::ifstream in((fs::path(opts.run_dir) / "result.json").string());
            if (in) r = nlohmann::json::parse(in, nullptr, false);
            if (!r.is_object()) r = nlohmann::json::object();
            r["schema_version"] = 1;
            r["trial_id"] = config_id(cfg);
            r["name"] = cfg.name;
            r["status"] = "failed";
            r["message"] = e.what();
            r["finished_at"] = now_iso();
            write_file_atomically((fs::path(opts.run_dir) / "result.json").string(), r.dump(2) + "\n");
        } catch (...) {
        }
        return kFailed;
    }
}

}  // namespace altup
