#include "experiments/config/schema.hpp"

#include <cmath>
#include <type_traits>

namespace altup {

namespace {
template <class Get>
KeyDef integer(const std::string& key, Get ref, int64_t min, const std::string& expected) {
    KeyDef d{key, KeyKind::integer, expected, {}, false, {}, {}, {}, {}, {}, {}, {}};
    d.valid = [min](double v) { return v >= double(min); };
    d.set_number = [ref](Config& c, double v) { ref(c) = static_cast<std::decay_t<decltype(ref(c))>>(v); };
    d.get_number = [ref](const Config& c) { return double(ref(const_cast<Config&>(c))); };
    return d;
}

template <class Get>
KeyDef number(const std::string& key, Get ref, std::function<bool(double)> valid, const std::string& expected) {
    KeyDef d{key, KeyKind::number, expected, {}, false, {}, {}, {}, {}, {}, {}, {}};
    d.valid = std::move(valid);
    d.set_number = [ref](Config& c, double v) { ref(c) = v; };
    d.get_number = [ref](const Config& c) { return ref(const_cast<Config&>(c)); };
    return d;
}

template <class Get>
KeyDef boolean(const std::string& key, Get ref) {
    KeyDef d{key, KeyKind::boolean, "true or false", {}, false, {}, {}, {}, {}, {}, {}, {}};
    d.set_bool = [ref](Config& c, bool v) { ref(c) = v; };
    d.get_bool = [ref](const Config& c) { return ref(const_cast<Config&>(c)); };
    return d;
}

template <class Get>
KeyDef text(const std::string& key, Get ref, bool nullable, const std::string& expected) {
    KeyDef d{key, KeyKind::text, expected, {}, nullable, {}, {}, {}, {}, {}, {}, {}};
    d.set_text = [ref](Config& c, const std::string& v) { ref(c) = v; };
    d.get_text = [ref](const Config& c) { return ref(const_cast<Config&>(c)); };
    return d;
}

std::string one_of(const std::vector<std::string>& choices) {
    std::string s = "one of ";
    for (size_t i = 0; i < choices.size(); ++i) s += (i ? (i + 1 == choices.size() ? " or " : ", ") : "") + choices[i];
    return s;
}

// A string key limited to fixed choices (stored as a string).
template <class Get>
KeyDef choice(const std::string& key, Get ref, std::vector<std::string> choices) {
    KeyDef d = text(key, ref, false, one_of(choices));
    d.kind = KeyKind::choice;
    d.choices = std::move(choices);
    return d;
}

// A key limited to fixed choices, stored as an enum with to_string().
template <class E, class Get>
KeyDef enumeration(const std::string& key, Get ref, std::vector<E> values) {
    std::vector<std::string> names;
    for (E v : values) names.push_back(to_string(v));
    KeyDef d{key, KeyKind::choice, one_of(names), names, false, {}, {}, {}, {}, {}, {}, {}};
    d.set_text = [ref, values](Config& c, const std::string& s) {
        for (E v : values)
            if (s == to_string(v)) ref(c) = v;
    };
    d.get_text = [ref](const Config& c) { return std::string(to_string(ref(const_cast<Config&>(c)))); };
    return d;
}

bool positive(double v) { return v > 0; }
bool non_negative(double v) { return v >= 0; }
bool fraction(double v) { return v >= 0 && v < 1; }

std::vector<KeyDef> build() {
    std::vector<KeyDef> s;
    s.push_back(text("name", [](Config& c) -> std::string& { return c.name; }, false, "a trial name"));
    s.push_back(integer("seed", [](Config& c) -> uint64_t& { return c.seed; }, 0, "an integer >= 0"));
    // model
    std::vector<std::string> presets;
    for (const char* const* p = preset_names(); *p; ++p) presets.push_back(*p);
    s.push_back(choice("model.preset", [](Config& c) -> std::string& { return c.model.preset; }, presets));
    s.push_back(integer("model.vocab", [](Config& c) -> int& { return c.model.vocab; }, 2, "an integer >= 2"));
    s.push_back(integer("model.d_model", [](Config& c) -> int& { return c.model.d_model; }, 1, "an integer >= 1"));
    s.push_back(integer("model.layers", [](Config& c) -> int& { return c.model.layers; }, 1, "an integer >= 1"));
    s.push_back(integer("model.heads", [](Config& c) -> int& { return c.model.heads; }, 1, "an integer >= 1"));
    s.push_back(integer("model.d_ff", [](Config& c) -> int& { return c.model.d_ff; }, 1, "an integer >= 1"));
    s.push_back(integer("model.seq_len", [](Config& c) -> int& { return c.model.seq_len; }, 2, "an integer >= 2"));
    s.push_back(enumeration("model.norm", [](Config& c) -> NormKind& { return c.model.norm; }, std::vector<NormKind>{NormKind::layernorm, NormKind::rmsnorm}));
    s.push_back(enumeration("model.activation", [](Config& c) -> Activation& { return c.model.activation; }, std::vector<Activation>{Activation::gelu, Activation::relu}));
    s.push_back(integer("model.width_mult", [](Config& c) -> int& { return c.model.width_mult; }, 1, "an integer >= 1"));
    s.push_back(number("model.init_std", [](Config& c) -> double& { return c.model.init_std; }, positive, "a number > 0"));
    s.push_back(integer("model.altup.k", [](Config& c) -> int& { return c.model.altup.k; }, 1, "an integer >= 1"));
    s.push_back(boolean("model.altup.recycled", [](Config& c) -> bool& { return c.model.altup.recycled; }));
    s.push_back(enumeration("model.altup.selection", [](Config& c) -> AltUpSelection& { return c.model.altup.selection; }, std::vector<AltUpSelection>{AltUpSelection::alternating, AltUpSelection::same}));
    s.push_back(enumeration("model.altup.compute_on", [](Config& c) -> AltUpComputeOn& { return c.model.altup.compute_on; }, std::vector<AltUpComputeOn>{AltUpComputeOn::input, AltUpComputeOn::prediction}));
    s.push_back(enumeration("model.altup.output", [](Config& c) -> AltUpOutput& { return c.model.altup.output; }, std::vector<AltUpOutput>{AltUpOutput::concat, AltUpOutput::sum, AltUpOutput::mean}));
    s.push_back(enumeration("model.altup.style", [](Config& c) -> AltUpStyle& { return c.model.altup.style; }, std::vector<AltUpStyle>{AltUpStyle::paper, AltUpStyle::gemma3n}));
    s.push_back(integer("model.sequence_altup.stride", [](Config& c) -> int& { return c.model.sequence_altup.stride; }, 1, "an integer >= 1"));
    s.push_back(enumeration("model.sequence_altup.mode", [](Config& c) -> SequenceAltUpMode& { return c.model.sequence_altup.mode; }, std::vector<SequenceAltUpMode>{SequenceAltUpMode::predict_correct, SequenceAltUpMode::skip}));
    s.push_back(integer("model.moe.experts", [](Config& c) -> int& { return c.model.moe.experts; }, 0, "an integer >= 0"));
    s.push_back(integer("model.moe.top_k", [](Config& c) -> int& { return c.model.moe.top_k; }, 1, "1 or 2"));
    s.back().valid = [](double v) { return v == 1 || v == 2; };
    s.push_back(integer("model.moe.every", [](Config& c) -> int& { return c.model.moe.every; }, 1, "an integer >= 1"));
    s.push_back(number("model.moe.capacity_factor", [](Config& c) -> double& { return c.model.moe.capacity_factor; }, positive, "a number > 0"));
    s.push_back(number("model.moe.aux_loss", [](Config& c) -> double& { return c.model.moe.aux_loss; }, non_negative, "a number >= 0"));
    // data
    s.push_back(choice("data.corpus", [](Config& c) -> std::string& { return c.data.corpus; }, {"brown", "text"}));
    s.push_back(text("data.path", [](Config& c) -> std::string& { return c.data.path; }, true, "a file path or null"));
    s.push_back(choice("data.tokenizer", [](Config& c) -> std::string& { return c.data.tokenizer; }, {"sentencepiece", "bytes"}));
    s.push_back(choice("data.tokenizer_type", [](Config& c) -> std::string& { return c.data.tokenizer_type; }, {"unigram", "bpe"}));
    s.push_back(number("data.split.valid", [](Config& c) -> double& { return c.data.split_valid; }, [](double v) { return v > 0 && v < 0.5; }, "a fraction in (0, 0.5)"));
    s.push_back(number("data.split.test", [](Config& c) -> double& { return c.data.split_test; }, [](double v) { return v > 0 && v < 0.5; }, "a fraction in (0, 0.5)"));
    s.push_back(text("data.cache_dir", [](Config& c) -> std::string& { return c.data.cache_dir; }, true, "a directory path or null"));
    // train
    s.push_back(integer("train.steps", [](Config& c) -> int& { return c.train.steps; }, 1, "an integer >= 1"));
    s.push_back(integer("train.batch", [](Config& c) -> int& { return c.train.batch; }, 1, "an integer >= 1"));
    s.push_back(integer("train.grad_accum", [](Config& c) -> int& { return c.train.grad_accum; }, 1, "an integer >= 1"));
    s.push_back(choice("train.optimizer", [](Config& c) -> std::string& { return c.train.optimizer; }, {"adamw", "adafactor"}));
    s.push_back(number("train.lr", [](Config& c) -> double& { return c.train.lr; }, positive, "a number > 0"));
    s.push_back(number("train.weight_decay", [](Config& c) -> double& { return c.train.weight_decay; }, non_negative, "a number >= 0"));
    s.push_back(number("train.beta1", [](Config& c) -> double& { return c.train.beta1; }, fraction, "a number in [0, 1)"));
    s.push_back(number("train.beta2", [](Config& c) -> double& { return c.train.beta2; }, fraction, "a number in [0, 1)"));
    s.push_back(number("train.eps", [](Config& c) -> double& { return c.train.eps; }, positive, "a number > 0"));
    s.push_back(integer("train.warmup", [](Config& c) -> int& { return c.train.warmup; }, 0, "an integer >= 0"));
    s.push_back(choice("train.schedule", [](Config& c) -> std::string& { return c.train.schedule; }, {"cosine", "rsqrt", "constant"}));
    s.push_back(number("train.min_lr_ratio", [](Config& c) -> double& { return c.train.min_lr_ratio; }, [](double v) { return v >= 0 && v <= 1; }, "a number in [0, 1]"));
    s.push_back(number("train.clip", [](Config& c) -> double& { return c.train.clip; }, non_negative, "a number >= 0 (0 = off)"));
    s.push_back(choice("train.dtype", [](Config& c) -> std::string& { return c.train.dtype; }, {"f32"}));
    s.push_back(integer("train.threads", [](Config& c) -> int& { return c.train.threads; }, 0, "an integer >= 0 (0 = all cores)"));
    s.push_back(integer("train.checkpoint_every", [](Config& c) -> int& { return c.train.checkpoint_every; }, 0, "an integer >= 0 (0 = only at the end)"));
    s.push_back(integer("train.log_every", [](Config& c) -> int& { return c.train.log_every; }, 1, "an integer >= 1"));
    // eval
    s.push_back(integer("eval.every", [](Config& c) -> int& { return c.eval.every; }, 0, "an integer >= 0 (0 = only at the end)"));
    s.push_back(integer("eval.batches", [](Config& c) -> int& { return c.eval.batches; }, 0, "an integer >= 0 (0 = the whole split)"));
    s.push_back(integer("eval.batch", [](Config& c) -> int& { return c.eval.batch; }, 1, "an integer >= 1"));
    return s;
}
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
