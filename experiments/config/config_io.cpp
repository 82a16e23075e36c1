// Parsing and validation of trial configs against the schema (schema.cpp).
#include "experiments/config/config_io.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <map>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "experiments/config/memory_estimate.hpp"
#include "experiments/config/schema.hpp"
#include "experiments/config/yaml_reading.hpp"
#include "util/experiment_identity.hpp"
#include "util/hash.hpp"
#include "util/suggest.hpp"

namespace altup {

namespace {

// Where a node came from, for messages: "file.yaml:7:5" (1-based), or the
// bare source for nodes without a mark (built in memory, e.g. by --set).
std::string origin_of(const std::string& source, const YAML::Mark& m) {
    if (m.is_null() || m.line < 0) return source;
    return fmt::format("{}:{}:{}", source, m.line + 1, m.column + 1);
}

// One key's value in the resolved config, as JSON (null for an unset nullable text key).
nlohmann::json key_value(const KeyDef& k, const Config& c) {
    switch (k.kind) {
        case KeyKind::integer: return static_cast<long long>(k.get_integer(c));
        case KeyKind::number: return k.get_number(c);
        case KeyKind::boolean: return k.get_bool(c);
        case KeyKind::text:
        case KeyKind::choice: break;
    }
    const std::string s = k.get_text(c);
    return s.empty() && k.nullable ? nlohmann::json(nullptr) : nlohmann::json(s);
}

[[noreturn]] void fail(const std::string& where, const std::string& key, const std::string& what) {
    throw ConfigError(where, key, what);
}

bool is_section(const std::string& dotted) {
    for (const auto& k : config_schema())
        if (k.key.rfind(dotted + ".", 0) == 0) return true;
    return false;
}

std::string scalar_text(const YAML::Node& n) {
    if (n.IsScalar()) return n.Scalar();
    if (n.IsNull()) return "null";
    if (n.IsSequence()) return "a list";
    return "a mapping";
}

// One leaf value into the typed config, checked against its KeyDef.
void assign(Config& c, const KeyDef& def, const YAML::Node& v, const std::string& where) {
    const std::string got = scalar_text(v);
    auto bad = [&](const std::string& extra = "") {
        fail(where, def.key, fmt::format("expected {}, got \"{}\"{}", def.expected, got, extra));
    };
    if (v.IsNull() && def.nullable) {
        def.set_text(c, "");
        return;
    }
    if (!v.IsScalar()) bad();
    switch (def.kind) {
        case KeyKind::integer: {
            long long x;
            if (!YAML::convert<long long>::decode(v, x) || x < def.min) bad();
            // A small max is part of `expected` ("1 or 2"); a type's limit is not.
            if (x > def.max) bad(def.max >= std::numeric_limits<int>::max() ? fmt::format(" (at most {})", def.max) : "");
            def.set_integer(c, x);
            break;
        }
        case KeyKind::number: {
            double x;
            if (!YAML::convert<double>::decode(v, x) || !std::isfinite(x) || !def.valid(x)) bad();
            def.set_number(c, x);
            break;
        }
        case KeyKind::boolean: {
            bool x;
            if (!YAML::convert<bool>::decode(v, x)) bad();
            def.set_bool(c, x);
            break;
        }
        case KeyKind::text:
            if (v.Scalar().empty()) bad();
            if (def.text_problem)
                if (const std::string problem = def.text_problem(v.Scalar()); !problem.empty()) fail(where, def.key, problem);
            def.set_text(c, v.Scalar());
            break;
        case KeyKind::choice:
            if (std::find(def.choices.begin(), def.choices.end(), v.Scalar()) == def.choices.end()) bad();
            def.set_text(c, v.Scalar());
            break;
    }
}

struct Leaf {
    const KeyDef* def;
    YAML::Node value;
    std::string where;
};

// Walks the YAML tree; every leaf must be a schema key, named once.
void collect(const YAML::Node& node, const std::string& prefix, const std::string& source,
             const std::map<std::string, std::string>& override_origin, std::vector<Leaf>& out) {
    std::map<std::string, std::string> seen;  // key -> line and column of its first use
    for (auto it = node.begin(); it != node.end(); ++it) {
        if (!it->first.IsScalar())
            fail(origin_of(source, it->first.Mark()), prefix.empty() ? "(top level)" : prefix,
                 fmt::format("expected a key name, got {}", scalar_text(it->first)));
        const std::string name = it->first.Scalar();
        const std::string dotted = prefix.empty() ? name : prefix + "." + name;
        const auto ov = override_origin.find(dotted);
        const bool overridden = ov != override_origin.end();
        const std::string where = overridden ? ov->second : origin_of(source, it->first.Mark());
        if (const auto first = seen.find(name); first != seen.end())
            fail(where, dotted, fmt::format("duplicate key (first set at {})", first->second));
        const YAML::Mark mark = it->first.Mark();
        seen[name] = fmt::format("line {}, column {}", mark.line + 1, mark.column + 1);
        if (const KeyDef* def = find_key(dotted)) {
            out.push_back({def, it->second, where});  // errors point at the key, as users scan keys
        } else if (is_section(dotted)) {
            if (it->second.IsNull()) continue;  // an empty section keeps the defaults
            if (!it->second.IsMap()) fail(where, dotted, fmt::format("expected a mapping of keys, got \"{}\"", scalar_text(it->second)));
            collect(it->second, dotted, source, override_origin, out);
        } else {
            const std::string hint = suggest_key(dotted);
            fail(where, dotted, "unknown key" + (hint.empty() ? std::string() : " (did you mean " + hint + "?)"));
        }
    }
}

// Keys that act only together with another one: a value other than the
// default while that other key switches it off would run the same model as
// the default and record a setting that did nothing. (A default cannot be
// told apart from "not written": a resolved config.yaml writes every key.)
struct InertRule {
    const char* key;
    const char* switch_key;
    bool (*inert)(const ModelConfig&);
    const char* why;  // what the switch's value means, e.g. "AltUp is off"
    const char* fix;
};

const std::vector<InertRule>& inert_rules() {
    const auto altup_off = [](const ModelConfig& m) { return m.altup.k < 2; };
    const auto dense = [](const ModelConfig& m) { return m.moe.experts == 0; };
    static const std::vector<InertRule> rules = {
        {"model.altup.selection", "model.altup.k", altup_off, "AltUp is off at model.altup.k = 1", "set model.altup.k >= 2 to use it"},
        {"model.altup.compute_on", "model.altup.k", altup_off, "AltUp is off at model.altup.k = 1", "set model.altup.k >= 2 to use it"},
        {"model.altup.output", "model.altup.k", altup_off, "AltUp is off at model.altup.k = 1: its one block goes to the head as it is",
         "set model.altup.k >= 2 to use it"},
        // layers/model.cpp: Gemma 3n averages its un-projected blocks, whatever output says.
        {"model.altup.output", "model.altup.style",
         [](const ModelConfig& m) { return m.altup.style == AltUpStyle::gemma3n && m.altup.output != AltUpOutput::mean; },
         "gemma3n style always averages the K blocks before the head", "write model.altup.output: mean"},
        {"model.sequence_altup.mode", "model.sequence_altup.stride", [](const ModelConfig& m) { return m.sequence_altup.stride == 1; },
         "Sequence-AltUp is off at model.sequence_altup.stride = 1", "set model.sequence_altup.stride >= 2 to use it"},
        {"model.moe.top_k", "model.moe.experts", dense, "the FFN is dense at model.moe.experts = 0", "set model.moe.experts >= 1 to use MoE"},
        {"model.moe.every", "model.moe.experts", dense, "the FFN is dense at model.moe.experts = 0", "set model.moe.experts >= 1 to use MoE"},
        {"model.moe.capacity_factor", "model.moe.experts", dense, "the FFN is dense at model.moe.experts = 0",
         "set model.moe.experts >= 1 to use MoE"},
        {"model.moe.aux_loss", "model.moe.experts", dense, "the FFN is dense at model.moe.experts = 0", "set model.moe.experts >= 1 to use MoE"},
    };
    return rules;
}

void check_inert_keys(const Config& c, const std::map<std::string, std::string>& set) {
    static const Config defaults;
    for (const auto& rule : inert_rules()) {
        const auto written = set.find(rule.key);
        if (written == set.end() || !rule.inert(c.model)) continue;
        const KeyDef& def = *find_key(rule.key);
        const nlohmann::json value = key_value(def, c);
        if (value == key_value(def, defaults)) continue;
        // (Where the switch was written is not said: in a sweep's trial tree it has no line of its own.)
        const bool switch_default = !set.count(rule.switch_key);
        fail(written->second, rule.key,
             fmt::format("{} has no effect: {}{}; {}, or remove {}",
                         value.is_string() ? "\"" + value.get<std::string>() + "\"" : value.dump(), rule.why,
                         switch_default ? fmt::format(" ({} is the default)", rule.switch_key) : "", rule.fix, rule.key));
    }
}

// Refuses a config whose training cannot fit in this machine's memory
// (memory_estimate.hpp: a lower bound), naming the keys of its largest part.
template <class FailAt>
void check_fits_in_memory(const Config& c, const FailAt& fail_at) {
    const uint64_t physical = physical_memory_bytes();
    const MemoryEstimate e = estimate_memory(c);
    if (physical == 0 || e.total_bytes() <= double(physical)) return;
    const bool finetuning = c.finetuning();
    const char* batch = finetuning ? "finetune.batch" : "train.batch";
    const std::string need = fmt::format("at least {:.1f} GiB, but this machine has {:.1f} GiB of memory",
                                         e.total_bytes() / kGiB, double(physical) / kGiB);
    if (e.eval_bytes >= e.training_bytes())
        fail_at({"eval.batch", "model.seq_len", "model.vocab"},
                fmt::format("evaluation needs {} (the weights, and the K-wide stream and vocab-sized logits of eval.batch x "
                            "model.seq_len tokens; a lower bound, docs/config.md): lower eval.batch", need));
    const std::string what = fmt::format(
        "training needs {} (parameters, gradients and optimizer state {:.1f} GiB for {:.0f} parameters; activations of "
        "{} x model.seq_len x width x model.layers {:.1f} GiB; logits of {} x model.seq_len x model.vocab {:.1f} GiB; "
        "a lower bound, docs/config.md)",
        need, e.state_bytes / kGiB, e.parameters, batch, e.activation_bytes / kGiB, batch, e.logits_bytes / kGiB);
    if (e.state_bytes >= e.activation_bytes && e.state_bytes >= e.logits_bytes)
        fail_at({"model.d_model", "model.layers", "model.vocab", "model.d_ff", "model.width_mult", "model.altup.k", "model.moe.experts",
                 "model.preset"},
                what + ": lower model.d_model, model.layers, model.d_ff or model.vocab");
    if (e.logits_bytes >= e.activation_bytes)
        fail_at({batch, "model.vocab", "model.seq_len"}, what + fmt::format(": lower {}, model.seq_len or model.vocab", batch));
    fail_at({batch, "model.seq_len", "model.d_model", "model.altup.k", "model.layers", "model.width_mult"},
            what + fmt::format(": lower {} or model.seq_len{}", batch,
                               finetuning ? "" : " (raising train.grad_accum keeps the tokens per step)"));
}

// Checks between keys, after every key is read. `set` maps each key the user
// wrote to where; a message names the first of its `blame` keys the user set
// (at that place), so the file line and the key in the message agree.
void check_combinations(Config& c, const std::map<std::string, std::string>& set, const std::string& source) {
    auto fail_at = [&](std::initializer_list<const char*> blame, const std::string& what) {
        for (const char* key : blame)
            if (auto it = set.find(key); it != set.end()) fail(it->second, key, what);
        fail(source, *blame.begin(), what);
    };
    const auto& m = c.model;
    if (m.d_model % m.heads != 0)
        fail_at({"model.heads", "model.d_model", "model.preset"},
                fmt::format("d_model ({}) must be divisible by heads ({})", m.d_model, m.heads));
    // The model multiplies d_model, heads and d_ff by width_mult and carries
    // K blocks of width d: those widened sizes must be representable.
    const double widened_d = double(m.d_model) * m.width_mult;
    const double representation = widened_d * m.altup.k;
    const double widened_d_ff = double(m.d_ff) * m.width_mult;
    constexpr double kMaxWidth = std::numeric_limits<int>::max();
    if (representation > kMaxWidth || widened_d_ff > kMaxWidth)
        fail_at({"model.width_mult", "model.altup.k", "model.d_model", "model.d_ff"},
                fmt::format("the widened model is too large: d_model x width_mult x altup.k = {} x {} x {}, "
                            "d_ff x width_mult = {} x {} (each must be at most {})",
                            m.d_model, m.width_mult, m.altup.k, m.d_ff, m.width_mult, std::numeric_limits<int>::max()));
    if (m.altup.recycled && m.altup.k < 2)
        fail_at({"model.altup.recycled"}, fmt::format("needs model.altup.k >= 2, got k = {}", m.altup.k));
    if (m.altup.recycled && m.altup.output == AltUpOutput::concat) {
        if (set.count("model.altup.output"))
            fail_at({"model.altup.output"}, "Recycled-AltUp reduces the blocks to d: expected sum or mean, got \"concat\"");
        c.model.altup.output = AltUpOutput::sum;  // the default concat means "not chosen" here
    }
    if (m.altup.style == AltUpStyle::gemma3n && m.altup.recycled)
        fail_at({"model.altup.style"}, "gemma3n style cannot be combined with model.altup.recycled");
    if (m.altup.style == AltUpStyle::gemma3n && m.altup.k < 2)
        fail_at({"model.altup.style"}, fmt::format("gemma3n style needs model.altup.k >= 2, got k = {}", m.altup.k));
    check_inert_keys(c, set);
    if (m.moe.experts > 0 && m.moe.top_k > m.moe.experts)
        fail_at({"model.moe.top_k", "model.moe.experts"},
                fmt::format("must be <= model.moe.experts ({}), got {}", m.moe.experts, m.moe.top_k));
    // MoE replaces the FFN of layers l with (l + 1) % every == 0 (layers/model.cpp):
    // an `every` beyond the depth places no expert at all, and the run would be
    // a dense model whose result says "experts: E".
    if (m.moe.experts > 0 && m.moe.every > m.layers)
        fail_at({"model.moe.every", "model.layers", "model.moe.experts"},
                fmt::format("MoE goes into every {}-th layer, but the model has {} layer{}: no layer would get experts "
                            "(expected model.moe.every <= model.layers)",
                            m.moe.every, m.layers, m.layers == 1 ? "" : "s"));
    // Sequence-AltUp runs each layer on every stride-th token: a stride of
    // seq_len or more leaves a layer one token (or none) of each sequence.
    if (m.sequence_altup.stride > 1 && m.sequence_altup.stride >= m.seq_len)
        fail_at({"model.sequence_altup.stride", "model.seq_len"},
                fmt::format("Sequence-AltUp computes every {}-th token, but a sequence has {} tokens: each layer would "
                            "compute {} of them (expected model.sequence_altup.stride <= model.seq_len / 2 = {})",
                            m.sequence_altup.stride, m.seq_len, m.sequence_altup.stride == m.seq_len ? "only the first" : "none",
                            m.seq_len / 2));
    if (m.seq_len % m.sequence_altup.stride != 0)
        fail_at({"model.sequence_altup.stride", "model.seq_len"},
                fmt::format("model.seq_len ({}) must be divisible by the stride ({})", m.seq_len, m.sequence_altup.stride));
    if (c.data.tokenizer == TokenizerKind::bytes && m.vocab != 256)
        fail_at({"model.vocab", "data.tokenizer"},
                fmt::format("the bytes tokenizer has 256 symbols: expected model.vocab = 256, got {}", m.vocab));
    if (c.data.corpus == CorpusKind::text && c.data.path.empty())
        fail_at({"data.path", "data.corpus"}, "corpus \"text\" needs data.path (a plain-text file)");
    if (c.data.corpus == CorpusKind::text && !std::filesystem::is_regular_file(c.data.path))
        fail_at({"data.path"}, fmt::format("expected a readable file, \"{}\" does not exist", c.data.path));
    if (c.data.corpus == CorpusKind::tokens && c.data.path.empty())
        fail_at({"data.path", "data.corpus"}, "corpus \"tokens\" needs data.path (a folder with train.bin and val.bin)");
    if (c.data.corpus == CorpusKind::tokens && !std::filesystem::is_directory(c.data.path))
        fail_at({"data.path"}, fmt::format("expected a folder with train.bin and val.bin, \"{}\" is not a folder", c.data.path));
    if (c.data.split_valid + c.data.split_test >= 0.5)
        fail_at({"data.split.valid", "data.split.test"},
                fmt::format("valid + test ({} + {}) must leave at least half of the documents for training",
                            c.data.split_valid, c.data.split_test));
    if (c.finetuning() && c.finetune.from.empty())
        fail_at({"finetune.from", "finetune.task"},
                fmt::format("fine-tuning (task \"{}\") needs finetune.from: \"pretrain\" in a sweep, or a trial folder, "
                            "checkpoint file or trial id", to_string(c.finetune.task)));
    // The tasks are Brown's tags and genres, encoded with the pretraining run's
    // tokenizer: a pre-tokenized corpus has none to encode them with.
    if (c.finetuning() && c.data.corpus == CorpusKind::tokens)
        fail_at({"finetune.task", "data.corpus"},
                "the downstream tasks are Brown text, encoded with the pretraining run's tokenizer, and corpus \"tokens\" "
                "has none: expected data.corpus = brown, prose or text");
    // Last: the estimate needs a config whose sizes are all valid.
    check_fits_in_memory(c, fail_at);
}

Config parse_with_origins(const YAML::Node& root, const std::string& source,
                          const std::map<std::string, std::string>& override_origin) {
    if (!root.IsDefined() || root.IsNull()) throw ConfigError(source + ": the config is empty");
    if (!root.IsMap())
        throw ConfigError(fmt::format("{}: expected a mapping with sections model, data, train, eval, finetune, got \"{}\"",
                                      origin_of(source, root.Mark()), scalar_text(root)));
    std::vector<Leaf> leaves;
    collect(root, "", source, override_origin, leaves);
    Config c;
    std::map<std::string, std::string> set;  // key -> where the user wrote it
    // The preset first, so explicit keys override it whatever their order.
    for (const auto& l : leaves)
        if (l.def->key == "model.preset") {
            assign(c, *l.def, l.value, l.where);
            apply_preset(c.model.preset, c.model);
            set[l.def->key] = l.where;
        }
    for (const auto& l : leaves) {
        if (l.def->key == "model.preset") continue;
        assign(c, *l.def, l.value, l.where);
        set[l.def->key] = l.where;
    }
    check_combinations(c, set, source);
    return c;
}

// A copy whose nodes carry no position. A parsed --set value has marks into
// its own text (always 1:1), which errors would report as a file position.
YAML::Node without_marks(const YAML::Node& n) {
    if (n.IsScalar()) return YAML::Node(n.Scalar());
    YAML::Node out(n.IsSequence() ? YAML::NodeType::Sequence : n.IsMap() ? YAML::NodeType::Map : YAML::NodeType::Null);
    if (n.IsSequence())
        for (const auto& item : n) out.push_back(without_marks(item));
    if (n.IsMap())
        for (auto it = n.begin(); it != n.end(); ++it) out[without_marks(it->first)] = without_marks(it->second);
    return out;
}

YAML::Node parse_value(const std::string& text, const std::string& origin, const std::string& key) {
    try {
        const std::vector<YAML::Node> documents = read_yaml_text(text, origin);
        if (documents.size() > 1)
            fail(origin, key, fmt::format("cannot read the value \"{}\": it holds more than one YAML document", text));
        return documents.empty() ? YAML::Node(YAML::NodeType::Null) : without_marks(documents[0]);
    } catch (const YamlReadError& e) {
        fail(origin, key, fmt::format("cannot read the value \"{}\": {}{}", text, e.key.empty() ? "" : e.key + ": ", e.problem));
    }
}

// The key of "key=value", without surrounding blanks ("model.altup.k =2"
// should not read as an unknown key with a space in it).
std::string override_key(const std::string& assignment) {
    std::string key = assignment.substr(0, assignment.find('='));
    key.erase(key.find_last_not_of(" \t") + 1);
    key.erase(0, key.find_first_not_of(" \t"));
    return key;
}

void set_dotted(YAML::Node root, const std::string& dotted, const YAML::Node& value) {
    // yaml-cpp nodes are handles: walk by reassigning a handle to each child.
    std::vector<std::string> parts;
    size_t start = 0, dot;
    while ((dot = dotted.find('.', start)) != std::string::npos) {
        parts.push_back(dotted.substr(start, dot - start));
        start = dot + 1;
    }
    parts.push_back(dotted.substr(start));
    std::vector<YAML::Node> chain{root};
    for (size_t i = 0; i + 1 < parts.size(); ++i) {
        YAML::Node child = chain.back()[parts[i]];
        if (!child.IsMap()) child = YAML::Node(YAML::NodeType::Map);
        chain.push_back(child);
    }
    chain.back()[parts.back()] = value;
    for (size_t i = chain.size() - 1; i > 0; --i) chain[i - 1][parts[i - 1]] = chain[i];
}

}  // namespace

bool is_known_key(const std::string& dotted_key) { return find_key(dotted_key) != nullptr; }

std::string suggest_key(const std::string& dotted_key) {
    const auto last = [](const std::string& s) { return s.substr(s.rfind('.') + 1); };
    const size_t typo_distance = std::max<size_t>(2, dotted_key.size() / 4);
    // The closest candidate passing `accept`, with its distance.
    auto closest = [&](const std::vector<std::string>& candidates, auto accept) {
        std::pair<size_t, std::string> best{std::string::npos, ""};
        for (const auto& k : candidates)
            if (accept(k)) best = std::min(best, {edit_distance(dotted_key, k), k});
        return best;
    };
    std::vector<std::string> keys, sections;
    for (const auto& k : config_schema()) {
        keys.push_back(k.key);
        for (size_t dot = k.key.find('.'); dot != std::string::npos; dot = k.key.find('.', dot + 1))
            sections.push_back(k.key.substr(0, dot));
    }
    // In order: a typo of a key; the right key in the wrong section
    // ("train.seq_len"); a typo of a section ("modle").
    const auto any = [](const std::string&) { return true; };
    if (const auto typo = closest(keys, any); typo.first <= typo_distance) return typo.second;
    if (const auto moved = closest(keys, [&](const std::string& k) { return last(k) == last(dotted_key); }); !moved.second.empty())
        return moved.second;
    if (const auto section = closest(sections, any); section.first <= typo_distance) return section.second;
    return "";
}

std::pair<std::string, YAML::Node> parse_assignment(const std::string& assignment, const std::string& source) {
    const std::string origin = source.empty() ? "--set " + assignment : source;
    const auto eq = assignment.find('=');
    const std::string key = override_key(assignment);
    if (eq == std::string::npos || key.empty()) throw ConfigError(origin + ": expected KEY=VALUE, e.g. model.altup.k=2");
    if (is_section(key)) {
        std::vector<std::string> keys;
        for (const auto& k : config_schema())
            if (k.key.rfind(key + ".", 0) == 0 && keys.size() < 3) keys.push_back(k.key);
        fail(origin, key, fmt::format("a section, not a key: set one of its keys instead, e.g. --set {}=VALUE "
                                      "(its keys: {}, ...; docs/config.md lists them all)",
                                      keys.front(), fmt::join(keys, ", ")));
    }
    if (!is_known_key(key)) {
        const std::string hint = suggest_key(key);
        fail(origin, key, "unknown key" + (hint.empty() ? std::string() : " (did you mean " + hint + "?)"));
    }
    return {key, parse_value(assignment.substr(eq + 1), origin, key)};
}

void apply_override(YAML::Node& root, const std::string& assignment, const std::string& source) {
    auto [key, value] = parse_assignment(assignment, source);
    if (!root.IsDefined() || root.IsNull()) root = YAML::Node(YAML::NodeType::Map);
    set_dotted(root, key, value);
}

Config parse_config(const YAML::Node& root, const std::string& source) {
    // Values set by apply_override carry no marks: their errors name `source`.
    try {
        return parse_with_origins(root, source, {});
    } catch (const YAML::Exception& e) {
        throw ConfigError(fmt::format("{}: {}", origin_of(source, e.mark), e.msg));
    }
}

Config load_config(const std::string& path, const std::vector<std::string>& overrides) {
    return load_config(path, overrides, nullptr);
}

Config load_config(const std::string& path, const std::vector<std::string>& overrides,
                   const std::function<void(YAML::Node&)>& complete) {
    if (!std::filesystem::exists(path)) throw ConfigError(path + ": no such config file");
    if (!std::filesystem::is_regular_file(path)) throw ConfigError(path + ": not a regular file");
    std::vector<YAML::Node> documents;
    try {
        documents = read_yaml_file(path, "config file");
    } catch (const YamlReadError& e) {
        throw ConfigError(e.what());
    }
    if (documents.size() > 1)
        throw ConfigError(fmt::format("{}: expected one YAML document, found {} (the second starts here)",
                                      origin_of(path, documents[1].Mark()), documents.size()));
    YAML::Node root = documents.empty() ? YAML::Node() : documents[0];
    try {
        std::map<std::string, std::string> origins;
        for (const auto& o : overrides) {
            apply_override(root, o, "--set " + o);
            origins[override_key(o)] = "--set " + o;
        }
        if (complete) complete(root);
        return parse_with_origins(root, path, origins);
    } catch (const YAML::Exception& e) {
        throw ConfigError(fmt::format("{}: {}", origin_of(path, e.mark), e.msg));
    }
}

namespace {
YAML::Node yaml_scalar(const nlohmann::json& v) {
    if (v.is_null()) return YAML::Node(YAML::NodeType::Null);
    if (v.is_boolean()) return YAML::Node(v.get<bool>());
    if (v.is_number_integer()) return YAML::Node(v.get<long long>());
    if (v.is_number()) return YAML::Node(v.get<double>());
    return YAML::Node(v.get<std::string>());
}
}  // namespace

YAML::Node to_yaml(const Config& c) {
    YAML::Node root(YAML::NodeType::Map);
    for (const auto& k : config_schema()) set_dotted(root, k.key, yaml_scalar(key_value(k, c)));
    return root;
}

namespace {
// Block style for mappings, whatever style the nodes carry.
void use_block_style(YAML::Node node) {
    if (!node.IsMap()) return;
    node.SetStyle(YAML::EmitterStyle::Block);
    for (auto entry : node) use_block_style(entry.second);
}
}  // namespace

std::string config_yaml_text(const Config& c) {
    YAML::Node config = to_yaml(c);
    use_block_style(config);
    YAML::Emitter out;
    out << config;
    return std::string(out.c_str()) + "\n";
}

nlohmann::json to_json(const Config& c) {
    nlohmann::json j = nlohmann::json::object();
    for (const auto& k : config_schema()) {
        std::string pointer = "/" + k.key;
        std::replace(pointer.begin(), pointer.end(), '.', '/');
        j[nlohmann::json::json_pointer(pointer)] = key_value(k, c);
    }
    return j;
}

std::string config_id(const Config& c) {
    const nlohmann::json j = experiment_identity(to_json(c), IdentityOf::trial);
    return content_id(j.dump());  // nlohmann's object keys are sorted: the dump is canonical
}

}  // namespace altup
