#include "experiments/trainer/trainer.hpp"

#include <chrono>
#include <cmath>
#include <csignal>
#include <filesystem>
#include <iostream>
#include <memory>
#include <unistd.h>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/ops.hpp"
#include "core/optim.hpp"
#include "experiments/config/config_io.hpp"
#include "experiments/data/dataset.hpp"
#include "experiments/trainer/distributed.hpp"
#include "experiments/trainer/evaluate.hpp"
#include "experiments/trainer/train_step.hpp"
#include "experiments/trial/checkpoint_policy.hpp"
#include "experiments/trial/metrics_log.hpp"
#include "experiments/trial/quiet_progress.hpp"
#include "experiments/trial/result_record.hpp"
#include "experiments/trial/run_info.hpp"
#include "experiments/trial/step_clock.hpp"
#include "experiments/trial/stop_request.hpp"
#include "experiments/trial/trial_checkpoint.hpp"
#include "experiments/trial/trial_folder.hpp"
#include "experiments/trial/trial_protocol.hpp"
#include "layers/model.hpp"
#include "util/utc_time.hpp"

namespace altup {
namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {
json eval_json(const EvalResult& e) {
    return {{"loss", num_or_null(e.loss)}, {"perplexity", num_or_null(e.perplexity)}, {"token_accuracy", num_or_null(e.accuracy)}};
}

// Everything that changes while training and has to survive a resume
// (besides the clock's own, StepClock).
struct Progress {
    int64_t step = 0;                 // optimizer steps done
    json curve = json::array();       // eval points
    double last_train_loss = std::nan("");
    int64_t diverged_at = -1;
};

class TrialRun {
public:
    TrialRun(const Config& cfg, const TrainOptions& opts) : cfg_(cfg), opts_(opts) {}
    int run();

private:
    void write_result(const std::string& status, const std::string& message);
    std::vector<NamedTensor> checkpoint_tensors(bool with_optimizer) const;
    void save_checkpoint(bool resumable = true);
    void restore(const SafetensorsFile& f);
    void evaluate_now(double now_s);
    void progress_line(double loss, double tokens_per_s, bool final);

    const Config& cfg_;
    const TrainOptions& opts_;
    const TrialLabels who_{opts_.sweep, opts_.labels};
    std::string started_at_ = utc_now_iso();
    TrialFolder folder_;
    MetricsLog metrics_{(fs::path(opts_.run_dir) / "metrics.jsonl").string()};
    std::unique_ptr<LanguageModel> model_;
    std::unique_ptr<Optimizer> optim_;
    TokenSplits data_;
    Rng data_rng_;
    Progress p_;
    StepClock clock_{cfg_.train.steps};
    EvalResult last_eval_{std::nan(""), std::nan(""), std::nan(""), std::nan(""), 0};
    EvalResult test_eval_{std::nan(""), std::nan(""), std::nan(""), std::nan(""), 0};
    bool have_test_ = false;
    bool tty_ = ::isatty(STDERR_FILENO);
    QuietProgress quiet_progress_{opts_.progress_every_s};
    const Distributed& dist_ = distributed();
    bool root_ = dist_.is_root();  // only rank 0 writes files and evaluates
    std::string path(const char* name) const { return (fs::path(opts_.run_dir) / name).string(); }
    CheckpointLabel checkpoint_label() const { return {"altup-lab checkpoint v1", config_id(cfg_), {}}; }
};

void TrialRun::write_result(const std::string& status, const std::string& message) {
    if (!root_) return;
    json r = result_header(cfg_, who_, status, message, p_.diverged_at);
    r["params"] = model_ ? params_json(model_->param_counts()) : json(nullptr);
    r["quality"] = {{"eval_loss", num_or_null(last_eval_.loss)}, {"perplexity", num_or_null(last_eval_.perplexity)},
                    {"token_accuracy", num_or_null(last_eval_.accuracy)},
                    {"test", have_test_ ? eval_json(test_eval_) : json(nullptr)}, {"curve", p_.curve}};
    const int64_t tokens_per_step = int64_t(cfg_.train.batch) * cfg_.train.grad_accum * cfg_.model.seq_len;
    r["train"] = {{"steps_done", p_.step}, {"tokens_seen", p_.step * tokens_per_step},
                  {"final_train_loss", num_or_null(p_.last_train_loss)}, {"wall_time_s", clock_.elapsed_s()}};
    r["speed"] = {{"train_tokens_per_s", num_or_null(clock_.tokens_per_s(double(tokens_per_step)))},
                  {"ms_per_step", clock_.ms_per_step_json()},
                  {"eval_tokens_per_s", num_or_null(last_eval_.tokens_per_s)},
                  {"peak_rss_mb", peak_rss_mb()},
                  {"flops_per_step", model_ ? json(flops_per_step(*model_, cfg_)) : json(nullptr)}};
    r["env"] = run_env(folder_.threads, dist_.size());
    r["started_at"] = started_at_;
    r["finished_at"] = status == "running" ? json(nullptr) : json(utc_now_iso());
    write_result_record(path("result.json"), r);
}

// The weights, then (resumable) the optimizer state.
std::vector<NamedTensor> TrialRun::checkpoint_tensors(bool with_optimizer) const {
    std::vector<NamedTensor> tensors;
    for (const auto& p : model_->params().params()) tensors.push_back({p.name, p.var->value});
    if (with_optimizer)
        for (auto& [name, t] : optim_->state()) tensors.push_back({"optimizer." + name, t});
    return tensors;
}

// resumable: with the optimizer state and step state; else the weights alone
// (train.checkpoint: final, once the trial completed).
void TrialRun::save_checkpoint(bool resumable) {
    if (!root_) return;
    if (!resumable) {
        write_weights_checkpoint(path("ckpt.safetensors"), checkpoint_tensors(false), checkpoint_label(), p_.step);
        return;
    }
    json state;
    state["step"] = p_.step;
    state["optimizer_steps"] = optim_->steps_taken();
    state["data_rng"] = data_rng_.state();
    state["elapsed_s"] = clock_.elapsed_s();
    state["curve"] = p_.curve;
    state["step_ms"] = clock_.step_ms();
    state["last_train_loss"] = num_or_null(p_.last_train_loss);
    state["last_eval"] = {last_eval_.loss, last_eval_.perplexity, last_eval_.accuracy, last_eval_.tokens_per_s};
    write_resumable_checkpoint(path("ckpt.safetensors"), checkpoint_tensors(true), checkpoint_label(), state);
}

void TrialRun::restore(const SafetensorsFile& f) {
    const json s = restore_checkpoint(f, path("ckpt.safetensors"), config_id(cfg_), checkpoint_tensors(true));
    p_.step = s.at("step");
    optim_->set_steps_taken(s.at("optimizer_steps"));
    data_rng_.set_state(s.at("data_rng").get<std::array<uint64_t, 6>>());
    clock_.restore(s.at("elapsed_s"), s.at("step_ms").get<std::vector<double>>());
    p_.curve = s.at("curve");
    p_.last_train_loss = s.at("last_train_loss").is_null() ? std::nan("") : s.at("last_train_loss").get<double>();
    const auto& le = s.at("last_eval");
    auto num = [](const json& v) { return v.is_null() ? std::nan("") : v.get<double>(); };
    last_eval_ = {num(le[0]), num(le[1]), num(le[2]), num(le[3]), 0};
    if (root_) metrics_.drop_after(p_.step);
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
    metrics_.append(line);
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
    // Under MPI the launcher holds the lock (the ranks of one process group share the trial).
    folder_ = open_trial_folder(cfg_, {opts_.run_dir, opts_.resume, {}, dist_.size() == 1, root_, !opts_.quiet && root_});
    if (cfg_.train.batch % dist_.size() != 0)
        throw std::runtime_error(fmt::format("train.batch = {} does not split over {} MPI ranks", cfg_.train.batch, dist_.size()));
    write_result("running", "");

    data_ = prepare_token_splits(cfg_.data, cfg_.model.vocab, opts_.quiet);
    model_ = std::make_unique<LanguageModel>(cfg_.model, cfg_.seed, cfg_.train.dtype);
    const auto& tc = cfg_.train;
    optim_ = make_optimizer(tc.optimizer, model_->params(), tc.beta1, tc.beta2, tc.eps, tc.weight_decay);
    const LrSchedule schedule{tc.schedule, tc.lr, tc.warmup, tc.steps, tc.min_lr_ratio};
    data_rng_.reseed(cfg_.seed * 0x9E3779B97F4A7C15ULL + 0xDA7A);

    const bool resumed = folder_.resume_with([&](const SafetensorsFile& ckpt) { restore(ckpt); });
    if (!resumed) {
        // Identical on every rank already (same seed); the broadcast makes it a guarantee.
        dist_.broadcast(model_->params().data().data(), model_->params().total());
        if (root_) metrics_.start_empty();
    }
    if (!opts_.quiet && root_)
        std::cerr << fmt::format("{}: {} parameters, {} threads{}\n", cfg_.name, model_->param_counts().total, folder_.threads,
                                 resumed ? fmt::format(", resumed at step {}", p_.step) : "");
    write_result("running", "");

    const int64_t B = tc.batch, T = cfg_.model.seq_len;
    TrainStep train_step(*model_, *optim_, dist_, cfg_);
    auto next_batch = [&](int32_t* inputs, int32_t* targets) { sample_batch(data_.train, int(B), int(T), data_rng_, inputs, targets); };
    clock_.start();
    const int64_t tokens_per_step = B * T * tc.grad_accum;

    while (p_.step < tc.steps) {
        if (opts_.stop_after_step >= 0 && p_.step >= opts_.stop_after_step) set_stop_signal(SIGTERM);
        if (dist_.any(stop_signal() != 0)) {
            if (!stop_signal()) set_stop_signal(SIGTERM);
            save_checkpoint();
            write_result("running", "interrupted at step " + std::to_string(p_.step) + "; resume with --resume");
            if (!opts_.quiet && root_) std::cerr << "\nstopped at step " << p_.step << " (checkpoint saved)\n";
            const int code = interrupted_exit(stop_signal());
            set_stop_signal(0);
            return code;
        }
        clock_.begin_step();
        const double loss = train_step.run(next_batch, schedule.at(p_.step));
        if (!std::isfinite(loss)) {
            p_.diverged_at = p_.step;
            write_result("diverged", fmt::format("non-finite training loss at step {}", p_.step));
            if (!opts_.quiet && root_) std::cerr << "\ndiverged at step " << p_.step << "\n";
            return kDiverged;
        }
        ++p_.step;
        p_.last_train_loss = loss;
        clock_.end_step(p_.step, double(tokens_per_step));

        if (p_.step % tc.log_every == 0 || p_.step == tc.steps) {
            const double tps = clock_.take_window_rate();
            if (root_)
                metrics_.append({{"kind", "train"}, {"step", p_.step}, {"loss", loss}, {"lr", schedule.at(p_.step - 1)},
                                 {"tokens_per_s", tps}, {"time_s", clock_.elapsed_s()}});
            progress_line(loss, tps, false);
        }
        if (cfg_.eval.every > 0 && p_.step % cfg_.eval.every == 0 && p_.step < tc.steps) evaluate_now(clock_.elapsed_s());
        if (tc.checkpoint_every > 0 && p_.step % tc.checkpoint_every == 0 && p_.step < tc.steps) {
            save_checkpoint();
            if (tc.checkpoint == CheckpointKeep::all && root_) keep_step_copy(path("ckpt.safetensors"), p_.step);
            write_result("running", "");
        }
    }
    const double train_s = clock_.elapsed_s();
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
                                 100 * test_eval_.accuracy, clock_.tokens_per_s(double(tokens_per_step)));
    return kCompleted;
}
}  // namespace

int run_trial(const Config& cfg, const TrainOptions& opts) {
    if (cfg.finetuning()) {
        std::cerr << cfg.name << ": a fine-tuning config (finetune.task = " << to_string(cfg.finetune.task) << ") goes to run_finetune\n";
        return kBadConfig;
    }
    TrialRun run(cfg, opts);
    return run_trial_protocol(cfg, opts.run_dir, {opts.sweep, opts.labels}, [&] { return run.run(); });
}

}  // namespace altup
