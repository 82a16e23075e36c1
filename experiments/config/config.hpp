// A trial's configuration: the typed form of one YAML document with sections
// model, data, train, eval (docs/config.md documents every key and default).
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/choices.hpp"
#include "experiments/config/choices.hpp"
#include "layers/model_config.hpp"

namespace altup {

struct DataConfig {
    CorpusKind corpus = CorpusKind::brown;
    std::string path;                        // corpus text: the file; corpus tokens: the folder (empty = none)
    TokenDtype token_dtype = TokenDtype::uint16;     // corpus tokens only
    TokenizerKind tokenizer = TokenizerKind::sentencepiece;
    SentencePieceType tokenizer_type = SentencePieceType::unigram;
    double split_valid = 0.05;
    double split_test = 0.05;
    std::string cache_dir;                   // empty = $ALTUP_DATA_DIR or ./data-cache
};

struct TrainConfig {
    int steps = 2000;
    int batch = 16;
    int grad_accum = 1;                      // micro-batches per optimizer step
    OptimizerKind optimizer = OptimizerKind::adamw;
    double lr = 1.0e-3;
    double weight_decay = 0.01;
    double beta1 = 0.9;
    double beta2 = 0.999;
    double eps = 1.0e-8;
    int warmup = 100;
    ScheduleKind schedule = ScheduleKind::cosine;
    double min_lr_ratio = 0.1;               // cosine floor as a fraction of lr
    double clip = 1.0;                       // global grad-norm clip; 0 = off
    Precision dtype = Precision::f32;        // of matmul inputs
    int threads = 0;                         // 0 = all cores (or the runner's share)
    int checkpoint_every = 500;              // 0 = only at the end
    // What the trial folder keeps once the trial completed: final (its weights,
    // without optimizer state) | all (every checkpoint, resumable) | none.
    CheckpointKeep checkpoint = CheckpointKeep::final;
    int log_every = 10;
};

struct EvalConfig {
    int every = 200;                         // 0 = only at the end
    int batches = 50;                        // validation batches per evaluation (0 = whole split)
    int batch = 16;
};

// The second stage of the paper's protocol: fine-tune a pretrained model on a
// downstream task carried by the Brown corpus (docs/finetune.md). task none =
// a pretraining trial; the other keys are then ignored (and not part of its id).
struct FinetuneConfig {
    FinetuneTask task = FinetuneTask::none;
    std::string from;                        // "pretrain" (the sweep's pretraining trial), a trial folder, a checkpoint or a trial id
    FinetuneTrain train = FinetuneTrain::all;  // which parameters fine-tuning updates
    Pooling pooling = Pooling::mean;           // genre: the passage's mean or its last position
    int steps = 300;
    int batch = 16;
    double lr = 5.0e-4;
    int warmup = 30;
    double weight_decay = 0.01;
    int eval_every = 100;                    // 0 = only at the end
    double split_valid = 0.25;               // of the Brown documents pretraining did not train on
    double split_test = 0.25;
};

struct Config {
    // A fine-tuning trial (finetune.task is not none), else a pretraining one.
    bool finetuning() const { return finetune.task != FinetuneTask::none; }
    std::string name = "trial";
    uint64_t seed = 1;
    ModelConfig model;
    DataConfig data;
    TrainConfig train;
    EvalConfig eval;
    FinetuneConfig finetune;
};

}  // namespace altup
