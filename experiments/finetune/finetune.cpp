#include "experiments/finetune/finetune.hpp"

#include <unistd.h>

#include <chrono>
#include <cmath>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/dnn.hpp"
#include "core/ops.hpp"
#include "core/optim.hpp"
#include "experiments/config/config_io.hpp"
#include "experiments/data/corpus.hpp"
#include "experiments/data/dataset.hpp"
#include "experiments/data/tokenizer.hpp"
#include "experiments/finetune/pretrained.hpp"
#include "experiments/finetune/task_metrics.hpp"
#include "experiments/finetune/tasks.hpp"
#include "experiments/trainer/distributed.hpp"
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

struct SplitScores {
    ClassificationScores scores;
    double loss = std::nan("");
    bool done = false;
};

json scores_json(const SplitScores& s) {
    if (!s.done) return nullptr;
    return {{"accuracy", s.scores.accuracy}, {"macro_f1", s.scores.macro_f1}, {"loss", num_or_null(s.loss)}, {"count", s.scores.count}};
}

class FinetuneRun {
public:
    FinetuneRun(const Config& cfg, const TrainOptions& opts) : cfg_(cfg), opts_(opts), ft_(cfg.finetune) {}
    int run();
    void write_result(const std::string& status, const std::string& message);

private:
    void prepare_data();
    Var forward(const TaskExamples& ex, const std::vector<int64_t>& rows, std::vector<int32_t>& targets, Var* aux);
    SplitScores evaluate_split(const TaskExamples& ex, std::vector<int32_t>* predictions);
    void evaluate_now();
    std::vector<NamedTensor> checkpoint_tensors(bool with_optimizer);
    CheckpointLabel checkpoint_label() const {
        return {"altup-lab fine-tune checkpoint v1", config_id(cfg_), {{"pretrained_trial_id", src_.trial_id}}};
    }
    void save_checkpoint(bool resumable = true);
    void restore(const SafetensorsFile& f);
    // A model pretrained on another corpus never read Brown: every document is unseen.
    bool pretrained_on_brown() const { return cfg_.data.corpus == CorpusKind::brown; }
    std::string path(const char* name) const { return (fs::path(opts_.run_dir) / name).string(); }
    double now_s() const { return clock_.elapsed_s(); }

    const Config& cfg_;
    const TrainOptions& opts_;
    const FinetuneConfig& ft_;
    const TrialLabels who_{opts_.sweep, opts_.labels};
    std::string started_at_ = utc_now_iso();
    TrialFolder folder_;
    MetricsLog metrics_{(fs::path(opts_.run_dir) / "metrics.jsonl").string()};
    PretrainedSource src_;
    std::unique_ptr<LanguageModel> model_;
    ParamStore head_store_;
    Var head_w_, head_b_;
    std::unique_ptr<Optimizer> body_opt_, head_opt_;
    TaskExamples train_, valid_, test_;
    int classes_ = 0;
    size_t documents_[3] = {0, 0, 0};  // fine-tune train / valid / test
    Rng rng_;
    int64_t step_ = 0;
    StepClock clock_{ft_.steps};
    json curve_ = json::array();
    double last_loss_ = std::nan("");
    SplitScores valid_scores_, test_scores_;
    double majority_valid_ = std::nan(""), majority_test_ = std::nan("");
    double word_majority_valid_ = std::nan(""), word_majority_test_ = std::nan("");
    int64_t diverged_at_ = -1;
    bool tty_ = ::isatty(STDERR_FILENO);
    QuietProgress quiet_progress_{opts_.progress_every_s};
};

void FinetuneRun::prepare_data() {
    // The pretraining trial's tokenizer: the same data settings give the same cache entry.
    const TokenSplits tokens = prepare_token_splits(cfg_.data, cfg_.model.vocab, opts_.quiet);
    std::unique_ptr<Tokenizer> tok = cfg_.data.tokenizer == TokenizerKind::bytes
                                         ? make_byte_tokenizer()
                                         : load_sentencepiece((fs::path(tokens.cache_dir) / "tokenizer.model").string());
    const std::vector<Document> docs = load_brown(ensure_brown_corpus(data_cache_dir(cfg_.data), opts_.quiet));
    const FinetuneSplit split =
        finetune_split(unseen_in_pretraining(docs, pretrained_on_brown(), cfg_.data.split_valid, cfg_.data.split_test),
                       ft_.split_valid, ft_.split_test);
    const int64_t T = cfg_.model.seq_len;
    train_ = build_task_examples(ft_.task, split.train, *tok, T);
    valid_ = build_task_examples(ft_.task, split.valid, *tok, T);
    test_ = build_task_examples(ft_.task, split.test, *tok, T);
    for (const auto* ex : {&train_, &valid_, &test_})
        if (ex->count() == 0)
            throw std::runtime_error(fmt::format("finetune.task {}: a split has no examples of {} tokens (documents: {} / {} / {})",
                                                 to_string(ft_.task), T, split.train.size(), split.valid.size(), split.test.size()));
    classes_ = task_class_count(ft_.task);
    documents_[0] = split.train.size();
    documents_[1] = split.valid.size();
    documents_[2] = split.test.size();

    // Baselines on the evaluation splits, from the fine-tuning training labels only.
    auto labelled = [](const TaskExamples& ex) {
        std::vector<int32_t> out;
        for (int32_t l : ex.labels)
            if (l != -100) out.push_back(l);
        return out;
    };
    const std::vector<int32_t> train_labels = labelled(train_);
    const int32_t majority = majority_class(train_labels, classes_);
    auto share = [&](const std::vector<int32_t>& gold, const std::vector<int32_t>& pred) {
        return score_predictions(gold, pred, classes_).accuracy;
    };
    const std::vector<int32_t> valid_gold = labelled(valid_), test_gold = labelled(test_);
    majority_valid_ = share(valid_gold, std::vector<int32_t>(valid_gold.size(), majority));
    majority_test_ = share(test_gold, std::vector<int32_t>(test_gold.size(), majority));
    if (is_tagging_task(ft_.task)) {
        word_majority_valid_ = share(valid_gold, word_majority_predictions(train_.words, train_labels, valid_.words, classes_));
        word_majority_test_ = share(test_gold, word_majority_predictions(train_.words, train_labels, test_.words, classes_));
    }
    if (!opts_.quiet)
        std::cerr << fmt::format("{}: task {} ({} classes): {} / {} / {} examples from {} / {} / {} documents (train / valid / test), "
                                 "majority baseline {:.2f}%\n",
                                 cfg_.name, to_string(ft_.task), classes_, train_.count(), valid_.count(), test_.count(), documents_[0],
                                 documents_[1], documents_[2], 100 * majority_valid_);
}

// Logits for the examples `rows` of `ex`, and their targets (tagging: one per
// position, -100 where no word ends; genre: one per passage).
Var FinetuneRun::forward(const TaskExamples& ex, const std::vector<int64_t>& rows, std::vector<int32_t>& targets, Var* aux) {
    const int64_t B = int64_t(rows.size()), T = ex.seq_len;
    std::vector<int32_t> ids(size_t(B * T));
    targets.clear();
    for (int64_t b = 0; b < B; ++b) {
        std::copy_n(ex.ids.begin() + rows[b] * T, T, ids.begin() + b * T);
        if (is_tagging_task(ft_.task))
            targets.insert(targets.end(), ex.labels.begin() + rows[b] * T, ex.labels.begin() + (rows[b] + 1) * T);
        else
            targets.push_back(ex.labels[rows[b]]);
    }
    Var features;
    {
        // A frozen body records nothing: backward then reaches the head only.
        std::optional<NoGradGuard> frozen;
        if (ft_.train == FinetuneTrain::head) frozen.emplace();
        features = model_->features(ids, B, T, aux);
    }
    if (is_tagging_task(ft_.task)) return linear(features, head_w_, head_b_, Rows::fixed, cfg_.train.dtype);
    Var pooled;
    if (ft_.pooling == Pooling::last) {
        std::vector<int32_t> last(static_cast<size_t>(B));
        for (int64_t b = 0; b < B; ++b) last[b] = int32_t(b * T + T - 1);
        pooled = gather_rows(features, last);
    } else {
        // The mean over each passage's positions as one matmul: [B, B*T] x [B*T, width].
        Tensor avg = Tensor::zeros({B, B * T});
        for (int64_t b = 0; b < B; ++b)
            for (int64_t t = 0; t < T; ++t) avg.data()[b * B * T + b * T + t] = 1.0f / float(T);
        pooled = matmul(leaf(avg), features);
    }
    return linear(pooled, head_w_, head_b_, Rows::fixed, cfg_.train.dtype);
}

SplitScores FinetuneRun::evaluate_split(const TaskExamples& ex, std::vector<int32_t>* predictions) {
    NoGradGuard no_grad;
    model_->set_training(false);
    std::vector<int32_t> gold, pred, targets;
    double loss_sum = 0;
    for (int64_t first = 0; first < ex.count(); first += ft_.batch) {
        std::vector<int64_t> rows;
        for (int64_t r = first; r < std::min<int64_t>(ex.count(), first + ft_.batch); ++r) rows.push_back(r);
        Var logits = forward(ex, rows, targets, nullptr);
        int64_t n = 0;
        const float* z = logits->value.data();
        for (size_t i = 0; i < targets.size(); ++i) {
            if (targets[i] == -100) continue;
            const float* row = z + i * size_t(classes_);
            int32_t best = 0;
            for (int c = 1; c < classes_; ++c)
                if (row[c] > row[best]) best = c;
            gold.push_back(targets[i]);
            pred.push_back(best);
            ++n;
        }
        if (n > 0) loss_sum += double(cross_entropy(logits, targets)->value.item()) * double(n);
    }
    model_->set_training(true);
    SplitScores s;
    s.scores = score_predictions(gold, pred, classes_);
    s.loss = gold.empty() ? std::nan("") : loss_sum / double(gold.size());
    s.done = true;
    if (predictions) *predictions = pred;
    return s;
}

void FinetuneRun::evaluate_now() {
    valid_scores_ = evaluate_split(valid_, nullptr);
    json point = {{"step", step_}, {"time_s", now_s()}, {"loss", num_or_null(valid_scores_.loss)},
                  {"accuracy", valid_scores_.scores.accuracy}, {"macro_f1", valid_scores_.scores.macro_f1}};
    curve_.push_back(point);
    json line = point;
    line["kind"] = "finetune_eval";
    metrics_.append(line);
    if (!opts_.quiet)
        std::cerr << (tty_ ? "\r\033[K" : "")
                  << fmt::format("eval @ step {}: loss {:.4f}  accuracy {:.2f}%  macro-F1 {:.2f}%\n", step_, valid_scores_.loss,
                                 100 * valid_scores_.scores.accuracy, 100 * valid_scores_.scores.macro_f1);
}

// The weights (body, then head), then (resumable) the optimizer state.
std::vector<NamedTensor> FinetuneRun::checkpoint_tensors(bool with_optimizer) {
    std::vector<NamedTensor> tensors;
    for (const auto& p : model_->params().params()) tensors.push_back({p.name, p.var->value});
    for (const auto& p : head_store_.params()) tensors.push_back({p.name, p.var->value});
    if (!with_optimizer) return tensors;
    for (auto& [name, t] : head_opt_->state()) tensors.push_back({"optimizer.head." + name, t});
    if (body_opt_)
        for (auto& [name, t] : body_opt_->state()) tensors.push_back({"optimizer.body." + name, t});
    return tensors;
}

// resumable: with the optimizer and step state; else the weights alone (train.checkpoint: final).
void FinetuneRun::save_checkpoint(bool resumable) {
    if (!resumable) {
        write_weights_checkpoint(path("ckpt.safetensors"), checkpoint_tensors(false), checkpoint_label(), step_);
        return;
    }
    const json state = {{"step", step_}, {"optimizer_steps", head_opt_->steps_taken()}, {"rng", rng_.state()},
                        {"elapsed_s", now_s()}, {"curve", curve_}, {"step_ms", clock_.step_ms()}, {"last_loss", num_or_null(last_loss_)}};
    write_resumable_checkpoint(path("ckpt.safetensors"), checkpoint_tensors(true), checkpoint_label(), state);
}

void FinetuneRun::restore(const SafetensorsFile& f) {
    const json s = restore_checkpoint(f, path("ckpt.safetensors"), config_id(cfg_), checkpoint_tensors(true));
    step_ = s.at("step");
    head_opt_->set_steps_taken(s.at("optimizer_steps"));
    if (body_opt_) body_opt_->set_steps_taken(s.at("optimizer_steps"));
    rng_.set_state(s.at("rng").get<std::array<uint64_t, 6>>());
    clock_.restore(s.at("elapsed_s"), s.at("step_ms").get<std::vector<double>>());
    curve_ = s.at("curve");
    last_loss_ = s.at("last_loss").is_null() ? std::nan("") : s.at("last_loss").get<double>();
    metrics_.drop_after(step_);
}

void FinetuneRun::write_result(const std::string& status, const std::string& message) {
    json r = result_header(cfg_, who_, status, message, diverged_at_);
    r["pretrain"] = {{"trial_id", src_.trial_id.empty() ? json(nullptr) : json(src_.trial_id)},
                     {"run_dir", src_.run_dir.empty() ? json(nullptr) : json(fs::absolute(src_.run_dir).string())},
                     {"checkpoint", src_.checkpoint.empty() ? json(nullptr) : json(fs::absolute(src_.checkpoint).string())}};
    // The model's own numbers are its pretraining's: quality, size, cost.
    const json& pre = src_.result;
    for (const char* key : {"quality", "params", "train", "speed"})
        r[key] = pre.is_object() && pre.contains(key) ? pre[key] : json(nullptr);
    if (r["params"].is_null() && model_) r["params"] = params_json(model_->param_counts());
    const double tokens_per_step = double(ft_.batch) * cfg_.model.seq_len;
    json d;
    d["task"] = to_string(ft_.task);
    d["classes"] = classes_ ? json(classes_) : json(nullptr);
    d["unit"] = is_tagging_task(ft_.task) ? "word" : "passage";
    d["train_params"] = to_string(ft_.train);
    d["accuracy"] = valid_scores_.done ? json(valid_scores_.scores.accuracy) : json(nullptr);
    d["macro_f1"] = valid_scores_.done ? json(valid_scores_.scores.macro_f1) : json(nullptr);
    d["loss"] = valid_scores_.done ? num_or_null(valid_scores_.loss) : json(nullptr);
    d["count"] = valid_scores_.done ? json(valid_scores_.scores.count) : json(nullptr);
    d["test"] = scores_json(test_scores_);
    if (test_scores_.done) {
        d["test"]["majority_accuracy"] = num_or_null(majority_test_);
        d["test"]["word_majority_accuracy"] = num_or_null(word_majority_test_);
    }
    d["majority_accuracy"] = num_or_null(majority_valid_);
    d["word_majority_accuracy"] = num_or_null(word_majority_valid_);
    d["curve"] = curve_;
    d["steps_done"] = step_;
    d["wall_time_s"] = now_s();
    d["ms_per_step"] = clock_.ms_per_step_json();
    d["tokens_per_s"] = num_or_null(clock_.tokens_per_s(tokens_per_step));
    d["peak_rss_mb"] = peak_rss_mb();
    d["examples"] = {{"train", train_.count()}, {"valid", valid_.count()}, {"test", test_.count()}};
    d["documents"] = {{"train", documents_[0]},
                      {"valid", documents_[1]},
                      {"test", documents_[2]},
                      {"pool", pretrained_on_brown() ? "held_out" : "all"}};
    r["downstream"] = d;
    r["env"] = run_env(folder_.threads, 1);
    r["started_at"] = started_at_;
    r["finished_at"] = status == "running" ? json(nullptr) : json(utc_now_iso());
    write_result_record(path("result.json"), r);
}

int FinetuneRun::run() {
    if (distributed().size() > 1)
        throw std::runtime_error("fine-tuning runs in one process: start it without mpirun/srun ranks");
    // Nothing is written before the pretrained model is found (and verified),
    // the folder is known to be this trial's and apart from what it reads,
    // and the checkpoint to resume from is known to be intact.
    src_ = resolve_pretrained(cfg_, opts_.pretrained_dir, opts_.runs_root);
    folder_ = open_trial_folder(cfg_, {opts_.run_dir, opts_.resume, {src_.run_dir, src_.checkpoint}, true, true, !opts_.quiet});
    write_result("running", "");
    prepare_data();

    model_ = std::make_unique<LanguageModel>(cfg_.model, cfg_.seed, cfg_.train.dtype);
    load_pretrained_weights(*model_, src_.checkpoint);
    head_w_ = head_store_.add("task_head.weight", {classes_, model_->output_width()}, Init::normal, 0.02f);
    head_b_ = head_store_.add("task_head.bias", {classes_}, Init::zeros, 0.0f, /*decay=*/false);
    Rng head_rng(cfg_.seed * 0x9E3779B97F4A7C15ULL + 0x7A5C);
    head_store_.finalize(head_rng);
    const TrainConfig& tc = cfg_.train;
    head_opt_ = make_optimizer(OptimizerKind::adamw, head_store_, tc.beta1, tc.beta2, tc.eps, ft_.weight_decay);
    if (ft_.train == FinetuneTrain::all) body_opt_ = make_optimizer(OptimizerKind::adamw, model_->params(), tc.beta1, tc.beta2, tc.eps, ft_.weight_decay);
    const LrSchedule schedule{ScheduleKind::cosine, ft_.lr, ft_.warmup, ft_.steps, 0.1};
    rng_.reseed(cfg_.seed * 0x9E3779B97F4A7C15ULL + 0xF17E);

    const bool resumed = folder_.resume_with([&](const SafetensorsFile& ckpt) { restore(ckpt); });
    if (!resumed) metrics_.start_empty();
    if (!opts_.quiet)
        std::cerr << fmt::format("{}: fine-tuning {} from {} ({} parameters train){}\n", cfg_.name, to_string(ft_.task), src_.checkpoint,
                                 ft_.train == FinetuneTrain::all ? model_->params().count() + head_store_.count() : head_store_.count(),
                                 resumed ? fmt::format(", resumed at step {}", step_) : "");
    write_result("running", "");

    const int64_t B = ft_.batch, T = cfg_.model.seq_len;
    std::vector<const ParamStore*> trained{&head_store_};
    if (body_opt_) trained.push_back(&model_->params());
    std::vector<int64_t> rows(static_cast<size_t>(B));
    std::vector<int32_t> targets;
    clock_.start();
    while (step_ < ft_.steps) {
        if (opts_.stop_after_step >= 0 && step_ >= opts_.stop_after_step) set_stop_signal(SIGTERM);
        if (const int sig = stop_signal()) {
            save_checkpoint();
            write_result("running", fmt::format("interrupted at fine-tuning step {}; resume with --resume", step_));
            if (!opts_.quiet) std::cerr << "\nstopped at step " << step_ << " (checkpoint saved)\n";
            set_stop_signal(0);
            return interrupted_exit(sig);
        }
        clock_.begin_step();
        for (auto& r : rows) r = int64_t(rng_.uniform_int(uint64_t(train_.count())));
        Var aux;
        Var logits = forward(train_, rows, targets, &aux);
        Var loss = cross_entropy(logits, targets);
        const double loss_value = double(loss->value.item());
        if (aux && body_opt_) loss = add(loss, scale(aux, float(cfg_.model.moe.aux_loss)));
        if (!std::isfinite(loss_value)) {
            diverged_at_ = step_;
            write_result("diverged", fmt::format("non-finite fine-tuning loss at step {}", step_));
            return kDiverged;
        }
        backward(loss);
        const float clip = clip_factor(grad_norm(trained), tc.clip);
        const double lr = schedule.at(step_);
        head_opt_->step(lr, clip);
        if (body_opt_) body_opt_->step(lr, clip);
        if (!body_opt_) model_->params().zero_grad();  // the optimizers zero what they update
        ++step_;
        last_loss_ = loss_value;
        clock_.end_step(step_, double(B * T));
        if (step_ % tc.log_every == 0 || step_ == ft_.steps) {
            const double tps = clock_.take_window_rate();
            metrics_.append({{"kind", "finetune_train"}, {"step", step_}, {"loss", loss_value}, {"lr", lr}, {"tokens_per_s", tps}, {"time_s", now_s()}});
            const std::string msg = fmt::format("fine-tune step {}/{}  loss {:.4f}  {:.0f} tok/s", step_, ft_.steps, loss_value, tps);
            if (!opts_.quiet) std::cerr << (tty_ ? "\r\033[K" + msg : msg + "\n") << std::flush;
            else if (quiet_progress_.due(step_ == ft_.steps)) std::cerr << msg << "\n";
        }
        if (ft_.eval_every > 0 && step_ % ft_.eval_every == 0 && step_ < ft_.steps) evaluate_now();
        if (tc.checkpoint_every > 0 && step_ % tc.checkpoint_every == 0 && step_ < ft_.steps) {
            save_checkpoint();
            if (tc.checkpoint == CheckpointKeep::all) keep_step_copy(path("ckpt.safetensors"), step_);
            write_result("running", "");
        }
    }
    if (curve_.empty() || curve_.back().at("step") != step_) evaluate_now();
    test_scores_ = evaluate_split(test_, nullptr);
    save_checkpoint();  // the resumable state first: a kill before the result is written resumes from it
    write_result("completed", "");
    finish_checkpoints(tc.checkpoint, path("ckpt.safetensors"), [&] { save_checkpoint(false); });
    if (!opts_.quiet)
        std::cerr << fmt::format("done: {} validation accuracy {:.2f}% (macro-F1 {:.2f}%), test accuracy {:.2f}% (macro-F1 {:.2f}%); "
                                 "majority baseline {:.2f}%{}\n",
                                 to_string(ft_.task), 100 * valid_scores_.scores.accuracy, 100 * valid_scores_.scores.macro_f1,
                                 100 * test_scores_.scores.accuracy, 100 * test_scores_.scores.macro_f1, 100 * majority_valid_,
                                 std::isfinite(word_majority_valid_) ? fmt::format(", most-frequent-tag-per-word {:.2f}%", 100 * word_majority_valid_) : "");
    return kCompleted;
}

}  // namespace

int run_finetune(const Config& cfg, const TrainOptions& opts) {
    FinetuneRun run(cfg, opts);
    return run_trial_protocol(cfg, opts.run_dir, {opts.sweep, opts.labels}, [&] { return run.run(); });
}

}  // namespace altup
