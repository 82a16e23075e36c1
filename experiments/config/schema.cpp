#include "experiments/config/schema.hpp"

#include <algorithm>
#include <limits>
#include <type_traits>
#include <utility>

#include <fmt/format.h>

namespace altup {

namespace {

// A field accessor usable on both Config& and const Config&.
#define FIELD(path) [](auto& c) -> auto& { return c.path; }

template <class Get>
using FieldType = std::decay_t<decltype(std::declval<Get>()(std::declval<Config&>()))>;

// An integer key; its upper bound is what the field's type can hold.
// `note` follows the range in messages, e.g. "(0 = off)".
template <class Get>
KeyDef integer(const std::string& key, Get field, int64_t min, const std::string& note = "") {
    using T = FieldType<Get>;
    KeyDef d;
    d.key = key;
    d.kind = KeyKind::integer;
    d.expected = fmt::format("an integer >= {}{}", min, note.empty() ? "" : " " + note);
    d.min = min;
    d.max = static_cast<int64_t>(std::min<uint64_t>(std::numeric_limits<T>::max(), std::numeric_limits<int64_t>::max()));
    d.set_integer = [field](Config& c, int64_t v) { field(c) = static_cast<T>(v); };
    d.get_integer = [field](const Config& c) { return static_cast<int64_t>(field(c)); };
    return d;
}

template <class Get>
KeyDef number(const std::string& key, Get field, std::function<bool(double)> valid, const std::string& expected) {
    KeyDef d;
    d.key = key;
    d.kind = KeyKind::number;
    d.expected = expected;
    d.valid = std::move(valid);
    d.set_number = [field](Config& c, double v) { field(c) = v; };
    d.get_number = [field](const Config& c) { return field(c); };
    return d;
}

template <class Get>
KeyDef boolean(const std::string& key, Get field) {
    KeyDef d;
    d.key = key;
    d.kind = KeyKind::boolean;
    d.expected = "true or false";
    d.set_bool = [field](Config& c, bool v) { field(c) = v; };
    d.get_bool = [field](const Config& c) { return field(c); };
    return d;
}

template <class Get>
KeyDef text(const std::string& key, Get field, bool nullable, const std::string& expected) {
    KeyDef d;
    d.key = key;
    d.kind = KeyKind::text;
    d.expected = expected;
    d.nullable = nullable;
    d.set_text = [field](Config& c, const std::string& v) { field(c) = v; };
    d.get_text = [field](const Config& c) { return std::string(field(c)); };
    return d;
}

std::string one_of(const std::vector<std::string>& choices) {
    std::string s = "one of ";
    for (size_t i = 0; i < choices.size(); ++i) s += (i ? (i + 1 == choices.size() ? " or " : ", ") : "") + choices[i];
    return s;
}

// A string key limited to fixed choices (stored as a string).
template <class Get>
KeyDef choice(const std::string& key, Get field, std::vector<std::string> choices, const std::string& expected = "") {
    KeyDef d = text(key, field, false, expected.empty() ? one_of(choices) : expected);
    d.kind = KeyKind::choice;
    d.choices = std::move(choices);
    return d;
}

// A key limited to fixed choices, stored as an enum with to_string().
template <class Get>
KeyDef enumeration(const std::string& key, Get field, std::vector<FieldType<Get>> values) {
    KeyDef d;
    d.key = key;
    d.kind = KeyKind::choice;
    for (auto v : values) d.choices.push_back(to_string(v));
    d.expected = one_of(d.choices);
    d.set_text = [field, values](Config& c, const std::string& s) {
        for (auto v : values)
            if (s == to_string(v)) field(c) = v;
    };
    d.get_text = [field](const Config& c) { return std::string(to_string(field(c))); };
    return d;
}

// Linux's NAME_MAX (ext4, xfs, tmpfs, NFS): the longest file or folder name.
constexpr size_t kMaxFolderName = 255;
// PATH_MAX (4096) less room for runs/standalone/, the trial id and the names
// of the files inside (checkpoints/step-000001.ckpt.tmp and the like).
constexpr size_t kMaxTrialName = 3584;

bool positive(double v) { return v > 0; }
bool non_negative(double v) { return v >= 0; }
bool probability(double v) { return v >= 0 && v < 1; }

std::vector<KeyDef> build() {
    std::vector<KeyDef> s;
    // The name becomes a path under the runs root (runs/standalone/<name>/<id>): it must
    // stay inside it, and each of its folders must be one the file system can make.
    // Sweeps put label values in names, so '/' itself is allowed (nested folders).
    s.push_back(text("name", FIELD(name), false, "a trial name that stays inside the runs folder (not absolute, no '.' or '..' parts)"));
    s.back().text_problem = [expected = s.back().expected](const std::string& v) -> std::string {
        const std::string bad = fmt::format("expected {}, got \"{}\"", expected, v);
        if (v.front() == '/' || std::any_of(v.begin(), v.end(), [](unsigned char ch) { return ch < 0x20; })) return bad;
        for (size_t start = 0; start <= v.size();) {
            const size_t slash = std::min(v.find('/', start), v.size());
            const std::string part = v.substr(start, slash - start);
            if (part == "." || part == "..") return bad;
            if (part.size() > kMaxFolderName)
                return fmt::format("the folder name \"{}...\" is {} bytes long, but a folder name can have at most {} "
                                   "(the file system's NAME_MAX): shorten the name, or split it with '/'",
                                   part.substr(0, 24), part.size(), kMaxFolderName);
            start = slash + 1;
        }
        if (v.size() > kMaxTrialName)
            return fmt::format("the name is {} bytes long; at most {} fit in a run folder's path (PATH_MAX is 4096 bytes, "
                               "and the runs folder, trial id and file names need the rest): shorten the name",
                               v.size(), kMaxTrialName);
        return "";
    };
    s.push_back(integer("seed", FIELD(seed), 0));
    // model
    std::vector<std::string> presets;
    for (const char* const* p = preset_names(); *p; ++p) presets.push_back(*p);
    s.push_back(choice("model.preset", FIELD(model.preset), presets));
    s.push_back(integer("model.vocab", FIELD(model.vocab), 2));
    s.push_back(integer("model.d_model", FIELD(model.d_model), 1));
    s.push_back(integer("model.layers", FIELD(model.layers), 1));
    s.push_back(integer("model.heads", FIELD(model.heads), 1));
    s.push_back(integer("model.d_ff", FIELD(model.d_ff), 1));
    s.push_back(integer("model.seq_len", FIELD(model.seq_len), 2));
    s.push_back(enumeration("model.norm", FIELD(model.norm), {NormKind::layernorm, NormKind::rmsnorm}));
    s.push_back(enumeration("model.activation", FIELD(model.activation), {Activation::gelu, Activation::relu}));
    s.push_back(integer("model.width_mult", FIELD(model.width_mult), 1));
    s.push_back(number("model.init_std", FIELD(model.init_std), positive, "a number > 0"));
    s.push_back(integer("model.altup.k", FIELD(model.altup.k), 1));
    s.push_back(boolean("model.altup.recycled", FIELD(model.altup.recycled)));
    s.push_back(enumeration("model.altup.selection", FIELD(model.altup.selection), {AltUpSelection::alternating, AltUpSelection::same}));
    s.push_back(enumeration("model.altup.compute_on", FIELD(model.altup.compute_on), {AltUpComputeOn::input, AltUpComputeOn::prediction}));
    s.push_back(enumeration("model.altup.output", FIELD(model.altup.output), {AltUpOutput::concat, AltUpOutput::sum, AltUpOutput::mean}));
    s.push_back(enumeration("model.altup.style", FIELD(model.altup.style), {AltUpStyle::paper, AltUpStyle::gemma3n}));
    s.push_back(integer("model.sequence_altup.stride", FIELD(model.sequence_altup.stride), 1, "(1 = off)"));
    s.push_back(enumeration("model.sequence_altup.mode", FIELD(model.sequence_altup.mode), {SequenceAltUpMode::predict_correct, SequenceAltUpMode::skip}));
    s.push_back(enumeration("model.sequence_altup.offset", FIELD(model.sequence_altup.offset), {SequenceAltUpOffset::fixed, SequenceAltUpOffset::alternating}));
    s.push_back(integer("model.moe.experts", FIELD(model.moe.experts), 0, "(0 = dense FFN)"));
    s.push_back(integer("model.moe.top_k", FIELD(model.moe.top_k), 1));
    s.back().max = 2;
    s.back().expected = "1 or 2";
    s.push_back(integer("model.moe.every", FIELD(model.moe.every), 1));
    s.push_back(number("model.moe.capacity_factor", FIELD(model.moe.capacity_factor), positive, "a number > 0"));
    s.push_back(number("model.moe.aux_loss", FIELD(model.moe.aux_loss), non_negative, "a number >= 0"));
    // data
    s.push_back(enumeration("data.corpus", FIELD(data.corpus), {CorpusKind::brown, CorpusKind::prose, CorpusKind::text, CorpusKind::tokens}));
    s.push_back(text("data.path", FIELD(data.path), true, "a file path (corpus text), a folder (corpus tokens) or null"));
    s.push_back(enumeration("data.token_dtype", FIELD(data.token_dtype), {TokenDtype::uint16, TokenDtype::uint32}));
    s.push_back(enumeration("data.tokenizer", FIELD(data.tokenizer), {TokenizerKind::sentencepiece, TokenizerKind::bytes}));
    s.push_back(enumeration("data.tokenizer_type", FIELD(data.tokenizer_type), {SentencePieceType::unigram, SentencePieceType::bpe}));
    const auto split_fraction = [](double v) { return v > 0 && v < 0.5; };
    s.push_back(number("data.split.valid", FIELD(data.split_valid), split_fraction, "a fraction in (0, 0.5)"));
    s.push_back(number("data.split.test", FIELD(data.split_test), split_fraction, "a fraction in (0, 0.5)"));
    s.push_back(text("data.cache_dir", FIELD(data.cache_dir), true, "a directory path or null"));
    // train
    s.push_back(integer("train.steps", FIELD(train.steps), 1));
    s.push_back(integer("train.batch", FIELD(train.batch), 1));
    s.push_back(integer("train.grad_accum", FIELD(train.grad_accum), 1));
    s.push_back(enumeration("train.optimizer", FIELD(train.optimizer), {OptimizerKind::adamw, OptimizerKind::adafactor}));
    s.push_back(number("train.lr", FIELD(train.lr), positive, "a number > 0"));
    s.push_back(number("train.weight_decay", FIELD(train.weight_decay), non_negative, "a number >= 0"));
    s.push_back(number("train.beta1", FIELD(train.beta1), probability, "a number in [0, 1)"));
    s.push_back(number("train.beta2", FIELD(train.beta2), probability, "a number in [0, 1)"));
    s.push_back(number("train.eps", FIELD(train.eps), positive, "a number > 0"));
    s.push_back(integer("train.warmup", FIELD(train.warmup), 0));
    s.push_back(enumeration("train.schedule", FIELD(train.schedule), {ScheduleKind::cosine, ScheduleKind::rsqrt, ScheduleKind::constant}));
    s.push_back(number("train.min_lr_ratio", FIELD(train.min_lr_ratio), [](double v) { return v >= 0 && v <= 1; }, "a number in [0, 1]"));
    s.push_back(number("train.clip", FIELD(train.clip), non_negative, "a number >= 0 (0 = off)"));
    // bf16 = bf16 matmul inputs, f32 everything else (core/dnn.hpp).
    s.push_back(enumeration("train.dtype", FIELD(train.dtype), {Precision::f32, Precision::bf16}));
    s.push_back(integer("train.threads", FIELD(train.threads), 0, "(0 = all cores)"));
    s.push_back(integer("train.checkpoint_every", FIELD(train.checkpoint_every), 0, "(0 = only at the end)"));
    s.push_back(enumeration("train.checkpoint", FIELD(train.checkpoint), {CheckpointKeep::final, CheckpointKeep::all, CheckpointKeep::none}));
    s.push_back(integer("train.log_every", FIELD(train.log_every), 1));
    // eval
    s.push_back(integer("eval.every", FIELD(eval.every), 0, "(0 = only at the end)"));
    s.push_back(integer("eval.batches", FIELD(eval.batches), 0, "(0 = the whole split)"));
    s.push_back(integer("eval.batch", FIELD(eval.batch), 1));
    // finetune
    s.push_back(enumeration("finetune.task", FIELD(finetune.task), {FinetuneTask::none, FinetuneTask::pos, FinetuneTask::genre, FinetuneTask::genre4}));
    s.push_back(text("finetune.from", FIELD(finetune.from), true,
                     "\"pretrain\" (the sweep's pretraining trial), a trial folder, a checkpoint file or a trial id"));
    s.push_back(enumeration("finetune.train", FIELD(finetune.train), {FinetuneTrain::all, FinetuneTrain::head}));
    s.push_back(enumeration("finetune.pooling", FIELD(finetune.pooling), {Pooling::mean, Pooling::last}));
    s.push_back(integer("finetune.steps", FIELD(finetune.steps), 1));
    s.push_back(integer("finetune.batch", FIELD(finetune.batch), 1));
    s.push_back(number("finetune.lr", FIELD(finetune.lr), positive, "a number > 0"));
    s.push_back(integer("finetune.warmup", FIELD(finetune.warmup), 0));
    s.push_back(number("finetune.weight_decay", FIELD(finetune.weight_decay), non_negative, "a number >= 0"));
    s.push_back(integer("finetune.eval_every", FIELD(finetune.eval_every), 0, "(0 = only at the end)"));
    const auto ft_fraction = [](double v) { return v > 0 && v < 0.5; };
    s.push_back(number("finetune.split.valid", FIELD(finetune.split_valid), ft_fraction, "a fraction in (0, 0.5)"));
    s.push_back(number("finetune.split.test", FIELD(finetune.split_test), ft_fraction, "a fraction in (0, 0.5)"));
    return s;
}

#undef FIELD

}  // namespace

const std::vector<KeyDef>& config_schema() {
    static const std::vector<KeyDef> schema = build();
    return schema;
}

const KeyDef* find_key(const std::string& dotted) {
    for (const auto& k : config_schema())
        if (k.key == dotted) return &k;
    return nullptr;
}

}  // namespace altup
