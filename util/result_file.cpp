#include "util/result_file.hpp"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <sstream>
#include <vector>

#include <fmt/format.h>

#include "util/json_path.hpp"

namespace altup {
namespace {

using json = nlohmann::json;

// The JSON types a field may have, combined with |.
enum Kind : unsigned { kNull = 1, kString = 2, kNumber = 4, kInteger = 8, kObject = 16, kArray = 32 };
constexpr unsigned kNumberOrNull = kNumber | kNull;

bool is_kind(const json& j, unsigned kinds) {
    return ((kinds & kNull) && j.is_null()) || ((kinds & kString) && j.is_string()) ||
           ((kinds & kNumber) && j.is_number()) || ((kinds & kInteger) && j.is_number_integer()) ||
           ((kinds & kObject) && j.is_object()) || ((kinds & kArray) && j.is_array());
}

// "a number or null", "an object"
std::string kinds_text(unsigned kinds) {
    std::vector<std::string> words;
    if (kinds & kObject) words.push_back("an object");
    if (kinds & kArray) words.push_back("an array");
    if (kinds & kString) words.push_back("a string");
    if (kinds & kNumber) words.push_back("a number");
    else if (kinds & kInteger) words.push_back("an integer");
    if (kinds & kNull) words.push_back("null");
    std::string out;
    for (std::size_t i = 0; i < words.size(); ++i) out += (i == 0 ? "" : i + 1 == words.size() ? " or " : ", ") + words[i];
    return out;
}

// A floating-point number where an integer belongs says so ("got number 2.5").
std::string got_text(const json& j) {
    if (j.is_number_float()) return "number " + j.dump();
    return j.type_name();
}

// The first problem found; the check stops there.
struct Problem {
    std::string text;
};

class Checker {
public:
    explicit Checker(const json& root) : root_(root) {}

    // The field at `dotted` is one of `kinds`; `required`: it must be there. A
    // parent that is absent, null or not an object is skipped: its own check
    // (made before) reports it or allows it.
    const json* field(const std::string& dotted, unsigned kinds, bool required) const {
        const std::size_t dot = dotted.rfind('.');
        const json* parent = dot == std::string::npos ? &root_ : find_json_path(root_, dotted.substr(0, dot));
        if (!parent || !parent->is_object()) return nullptr;
        const auto it = parent->find(dot == std::string::npos ? dotted : dotted.substr(dot + 1));
        if (it == parent->end()) {
            if (required) throw Problem{fmt::format("missing field '{}'", dotted)};
            return nullptr;
        }
        if (!is_kind(*it, kinds)) throw Problem{fmt::format("field '{}': expected {}, got {}", dotted, kinds_text(kinds), got_text(*it))};
        return &*it;
    }

    void numbers(const std::string& section, std::initializer_list<const char*> keys, bool required) const {
        for (const char* key : keys) field(section + "." + key, kNumberOrNull, required);
    }

    // An array of evaluations, each an object with a step and numbers.
    void curve(const std::string& dotted, std::initializer_list<const char*> keys) const {
        const json* points = field(dotted, kArray | kNull, false);
        if (!points || points->is_null()) return;
        for (std::size_t i = 0; i < points->size(); ++i) {
            const json& p = (*points)[i];
            const std::string at = fmt::format("{}[{}]", dotted, i);
            if (!p.is_object()) throw Problem{fmt::format("field '{}': expected an object, got {}", at, got_text(p))};
            const auto step = p.find("step");
            if (step == p.end()) throw Problem{fmt::format("missing field '{}.step'", at)};
            if (!step->is_number()) throw Problem{fmt::format("field '{}.step': expected a number, got {}", at, got_text(*step))};
            for (const char* key : keys)
                if (const auto v = p.find(key); v != p.end() && !is_kind(*v, kNumberOrNull))
                    throw Problem{fmt::format("field '{}.{}': expected a number or null, got {}", at, key, got_text(*v))};
        }
    }

private:
    const json& root_;
};

const char* const kStatuses[] = {"running", "completed", "diverged", "failed"};

// The sections a pretraining run measures. A completed pretraining result has
// them all; a fine-tune result copies them from its pretraining trial, null
// when that was a bare checkpoint; unfinished results may lack them.
void check_model_sections(const Checker& c, bool completed, bool may_be_null) {
    const bool need = completed;
    const unsigned section = kObject | (may_be_null ? kNull : 0u);
    if (c.field("quality", section, need)) {
        c.field("quality.eval_loss", completed ? kNumber : kNumberOrNull, need);
        c.numbers("quality", {"perplexity", "token_accuracy"}, need);
        if (c.field("quality.test", kObject | kNull, false)) c.numbers("quality.test", {"loss", "perplexity", "token_accuracy"}, false);
        c.curve("quality.curve", {"time_s", "loss", "perplexity", "token_accuracy"});
    }
    if (c.field("train", section, need)) {
        c.field("train.steps_done", kInteger, need);
        c.field("train.tokens_seen", kInteger | kNull, false);
        c.numbers("train", {"final_train_loss", "wall_time_s"}, false);
    }
    if (c.field("speed", section, need)) {
        c.numbers("speed", {"train_tokens_per_s", "eval_tokens_per_s"}, need);
        if (c.field("speed.ms_per_step", kObject | kNull, need)) {
            c.field("speed.ms_per_step.median", kNumberOrNull, need);
            c.numbers("speed.ms_per_step", {"p10", "p90"}, false);
        }
        c.numbers("speed", {"peak_rss_mb", "flops_per_step"}, false);
    }
    // params is null as a whole for a trial that failed before building its model.
    if (c.field("params", kObject | kNull, need)) {
        c.numbers("params", {"total", "embedding", "non_embedding", "altup_scalars"}, need);
        c.numbers("params", {"altup_scalars_per_layer"}, false);
    }
}

void check_downstream(const Checker& c, bool completed) {
    if (!c.field("downstream", completed ? kObject : kObject | kNull, completed)) return;
    c.field("downstream.task", completed ? kString : kString | kNull, completed);
    c.field("downstream.classes", kInteger | kNull, false);
    c.field("downstream.unit", kString | kNull, false);
    c.field("downstream.train_params", kString | kNull, false);
    c.numbers("downstream", {"accuracy"}, completed);
    c.numbers("downstream", {"macro_f1", "loss", "count", "majority_accuracy", "word_majority_accuracy", "wall_time_s",
                             "tokens_per_s", "peak_rss_mb"}, false);
    if (c.field("downstream.test", kObject | kNull, false))
        c.numbers("downstream.test", {"accuracy", "macro_f1", "loss", "count", "majority_accuracy", "word_majority_accuracy"}, false);
    if (c.field("downstream.ms_per_step", kObject | kNull, false)) c.numbers("downstream.ms_per_step", {"median", "p10", "p90"}, false);
    c.curve("downstream.curve", {"time_s", "loss", "accuracy", "macro_f1"});
    c.field("downstream.steps_done", kInteger, completed);
}

void check_schema(const json& root) {
    if (!root.is_object()) throw Problem{fmt::format("expected a JSON object, got {}", got_text(root))};
    const Checker c(root);
    const json& version = *c.field("schema_version", kInteger, true);
    if (version.get<long long>() != kResultSchemaVersion)
        throw Problem{fmt::format("unsupported schema_version {} (this altup reads version {})", version.dump(), kResultSchemaVersion)};
    const std::string status = c.field("status", kString, true)->get<std::string>();
    bool known = false;
    for (const char* s : kStatuses) known = known || status == s;
    if (!known) throw Problem{fmt::format("status '{}' is not one of running, completed, diverged, failed", status)};
    const bool completed = status == "completed";

    if (c.field("trial_id", kString, true)->get<std::string>().empty()) throw Problem{"field 'trial_id': expected a trial id, got an empty string"};
    c.field("name", kString, completed);
    c.field("sweep", kString | kNull, completed);  // null: a standalone `altup train`
    if (const json* labels = c.field("labels", kObject, completed))
        for (const auto& [key, value] : labels->items())
            if (!value.is_string() && !value.is_number())  // numbers written by hand read as their text
                throw Problem{fmt::format("field 'labels.{}': expected a string, got {}", key, got_text(value))};
    c.field("message", kString | kNull, false);
    c.field("diverged_at_step", kInteger | kNull, false);
    c.field("config", completed ? kObject : kObject | kNull, completed);
    c.field("env", kObject | kNull, false);
    c.field("started_at", kString | kNull, false);
    c.field("finished_at", kString | kNull, false);

    const json* stage = c.field("stage", kString | kNull, false);
    if (stage && stage->is_string() && *stage != "pretrain" && *stage != "finetune")
        throw Problem{fmt::format("field 'stage': expected \"pretrain\" or \"finetune\", got {}", stage->dump())};
    const bool finetune = stage && *stage == "finetune";
    check_model_sections(c, completed, /*may_be_null=*/finetune || !completed);
    if (c.field("pretrain", kObject | kNull, false))
        for (const char* key : {"trial_id", "run_dir", "checkpoint"}) c.field(std::string("pretrain.") + key, kString | kNull, false);
    check_downstream(c, completed && finetune);
}

// Parser messages may quote the bytes they choke on: binary garbage is shown as \xNN.
std::string printable(const std::string& text, std::size_t limit = 160) {
    std::string out;
    for (unsigned char ch : text) {
        if (out.size() >= limit) return out + "...";
        if (ch >= 0x20 && ch < 0x7f) out += static_cast<char>(ch);
        else out += fmt::format("\\x{:02x}", ch);
    }
    return out;
}

}  // namespace

std::string result_schema_problem(const json& root) {
    try {
        check_schema(root);
        return "";
    } catch (const Problem& p) {
        return p.text;
    }
}

ResultFile read_result_file(const std::string& path) {
    namespace fs = std::filesystem;
    ResultFile out;
    out.path = path;
    std::error_code ec;
    const fs::file_status what = fs::status(path, ec);
    if (what.type() == fs::file_type::not_found) return out;  // absent
    out.state = ResultFile::State::invalid;
    if (ec) {
        out.problem = fmt::format("cannot be read ({})", ec.message());
        return out;
    }
    if (!fs::is_regular_file(what)) {
        out.problem = "not a regular file";
        return out;
    }
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        out.problem = fmt::format("cannot be read ({})", std::strerror(errno));
        return out;
    }
    std::ostringstream text;
    text << in.rdbuf();
    if (text.str().empty()) {
        out.problem = "empty file (0 bytes)";
        return out;
    }
    json root;
    try {
        root = json::parse(text.str());
    } catch (const json::parse_error& e) {
        // nlohmann's message is "[json.exception.parse_error.101] parse error at line 3, column 5: ..."
        const std::string what_text = e.what();
        const auto bracket = what_text.find("] ");
        out.problem = "not valid JSON (" + printable(bracket == std::string::npos ? what_text : what_text.substr(bracket + 2)) + ")";
        return out;
    }
    out.problem = result_schema_problem(root);
    if (!out.problem.empty()) return out;
    out.state = ResultFile::State::valid;
    out.status = root["status"].get<std::string>();
    out.root = std::move(root);
    return out;
}

}  // namespace altup
