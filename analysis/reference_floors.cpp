#include "analysis/reference_floors.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <optional>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "experiments/config/config_io.hpp"
#include "experiments/data/dataset.hpp"
#include "util/atomic_file.hpp"

namespace altup {
namespace {

using nlohmann::json;

// The keys a floor depends on; a resolved config (result.json `config`) has
// them all. A hand-written or partial one is not guessed at from defaults.
constexpr const char* kNeededKeys[] = {"/data/corpus", "/data/tokenizer", "/data/tokenizer_type", "/data/split/valid",
                                       "/data/split/test", "/model/vocab", "/model/seq_len", "/eval/batch", "/eval/batches"};

std::string describe(const Config& c) {
    const DataConfig& d = c.data;
    const std::string corpus = d.corpus == CorpusKind::text ? fmt::format("text {}", d.path) : to_string(d.corpus);
    const std::string tokenizer =
        d.tokenizer == TokenizerKind::bytes ? "bytes" : fmt::format("{} {}", to_string(d.tokenizer), to_string(d.tokenizer_type));
    const std::string windows = c.eval.batches > 0 ? fmt::format("eval {} × {} windows", c.eval.batches, c.eval.batch)
                                                   : std::string("eval: every window");
    return fmt::format("{}, {}, vocab {}; seq_len {}, {}", corpus, tokenizer, c.model.vocab, c.model.seq_len, windows);
}

// A trial's resolved config, or the reason there is none.
struct TrialConfig {
    std::optional<Config> config;
    std::string problem;
};

TrialConfig trial_config(const TrialResult& t) {
    try {
        const json file = json::parse(read_file_or_empty(t.path));
        if (!file.contains("config") || !file["config"].is_object()) return {std::nullopt, "result.json has no config"};
        const json& cfg = file["config"];
        for (const char* key : kNeededKeys)
            if (!cfg.contains(json::json_pointer(key))) {
                std::string dotted = key + 1;
                std::replace(dotted.begin(), dotted.end(), '/', '.');
                return {std::nullopt, fmt::format("its config is not a resolved one (no {})", dotted)};
            }
        // JSON is YAML: the config parser that the trainer uses reads it back, validation included.
        return {parse_config(YAML::Load(cfg.dump()), t.path + " config"), ""};
    } catch (const std::exception& e) {
        return {std::nullopt, fmt::format("its config cannot be read: {}", e.what())};
    }
}

}  // namespace

ReferenceFloors reference_floors(const std::vector<TrialResult>& trials, EvalSplit split) {
    ReferenceFloors out;
    out.split = split;
    // Configurations in order of first appearance; trials counted per configuration or per problem.
    struct Pending {
        Config config;
        std::string token_dir;
        std::size_t trials = 0;
    };
    std::vector<std::pair<std::string, Pending>> pending;
    std::map<std::string, std::size_t> problems;  // note -> trials
    std::vector<std::string> problem_order;
    auto problem = [&](const std::string& note) {
        if (problems[note]++ == 0) problem_order.push_back(note);
    };
    for (const TrialResult& t : trials) {
        if (t.stage != "pretrain") continue;  // a fine-tune trial carries its pretraining trial's quality
        TrialConfig tc = trial_config(t);
        if (!tc.config) {
            problem(tc.problem);
            continue;
        }
        const Config& c = *tc.config;
        std::string token_dir;
        try {
            token_dir = token_cache_folder(c.data, c.model.vocab);
        } catch (const std::exception& e) {
            problem(fmt::format("{}: token cache unknown: {}", describe(c), e.what()));
            continue;
        }
        const std::string key = fmt::format("{}|{}|{}|{}|{}", token_dir, c.model.seq_len, c.eval.batch, c.eval.batches, c.model.vocab);
        auto it = std::find_if(pending.begin(), pending.end(), [&](const auto& p) { return p.first == key; });
        if (it == pending.end()) it = pending.insert(pending.end(), {key, Pending{c, token_dir, 0}});
        ++it->second.trials;
    }
    for (const auto& [key, p] : pending) {
        const Config& c = p.config;
        ReferenceFloorConfig r;
        r.description = describe(c);
        r.token_dir = p.token_dir;
        r.trials = p.trials;
        r.settings.seq_len = c.model.seq_len;
        r.settings.eval_batch = c.eval.batch;
        r.settings.eval_batches = c.eval.batches;
        r.settings.vocab = c.model.vocab;
        r.settings.split = split;
        try {
            const std::optional<TokenSplits> data = load_token_splits(c.data, c.model.vocab);
            if (!data) {
                problem(fmt::format("{}: token cache {} not found (data.cache_dir, else $ALTUP_DATA_DIR, else ./data-cache): "
                                    "no reference floors", r.description, r.token_dir));
                continue;
            }
            r.floors = ngram_floors(*data, r.settings);
        } catch (const std::exception& e) {
            problem(fmt::format("{}: no reference floors: {}", r.description, e.what()));
            continue;
        }
        out.configs.push_back(std::move(r));
    }
    for (const std::string& note : problem_order)
        out.notes.push_back(fmt::format("{} trial(s) left out of the reference floors: {}", problems[note], note));
    return out;
}

Table reference_floors_table(const ReferenceFloors& f) {
    Table t;
    t.id = "reference_floors";
    const bool test = f.split == EvalSplit::test;
    t.title = fmt::format("Reference floors (count-based n-gram models on the same tokens and {} windows)",
                          test ? "test" : "validation");
    t.columns = {{"configuration", "data and evaluation", false},
                 {"trials", "trials", true},
                 {"model", "model", false},
                 {test ? "test_loss" : "eval_loss", test ? "test loss" : "eval loss", true},
                 {test ? "test_perplexity" : "perplexity", test ? "test perplexity" : "perplexity", true},
                 {test ? "test_accuracy_pct" : "token_accuracy_pct", test ? "test accuracy (%)" : "accuracy (%)", true},
                 {"eval_tokens", "eval tokens", true},
                 {"train_tokens", "train tokens", true}};
    for (const ReferenceFloorConfig& c : f.configs)
        for (const NgramFloor& x : c.floors.floors)
            t.rows.push_back({Cell::of_text(c.description), Cell::of_number(double(c.trials), 0), Cell::of_text(x.model),
                              Cell::of_number(x.loss, 3), Cell::of_number(std::exp(x.loss), 2),
                              Cell::of_number(x.accuracy * 100.0, 2), Cell::of_number(double(c.floors.eval_tokens), 0),
                              Cell::of_number(double(c.floors.train_tokens), 0)});
    if (!f.configs.empty())
        t.notes.push_back(fmt::format(
            "trained on the token cache's training split, scored like {}: the same {} windows, every position, no "
            "context before a window's start; bigram and trigram are interpolated Kneser-Ney with D = {} "
            "(docs/analysis.md, Reference floors)",
            test ? "quality.test" : "quality.eval_loss and quality.token_accuracy", test ? "test" : "validation",
            f.configs.front().settings.discount));
    for (const ReferenceFloorConfig& c : f.configs)
        if (!c.floors.cache_note.empty()) t.notes.push_back(fmt::format("{}: {}", c.description, c.floors.cache_note));
    t.notes.insert(t.notes.end(), f.notes.begin(), f.notes.end());
    return t;
}

json reference_floors_json(const ReferenceFloors& f) {
    json configs = json::array();
    for (const ReferenceFloorConfig& c : f.configs) {
        json floors = json::array();
        for (const NgramFloor& x : c.floors.floors)
            floors.push_back({{"order", x.order}, {"model", x.model}, {"eval_loss", x.loss},
                              {"perplexity", std::exp(x.loss)}, {"token_accuracy", x.accuracy}});
        configs.push_back({{"configuration", c.description},
                           {"token_dir", c.token_dir},
                           {"trials", c.trials},
                           {"seq_len", c.settings.seq_len},
                           {"eval_batch", c.settings.eval_batch},
                           {"eval_batches", c.settings.eval_batches},
                           {"vocab", c.settings.vocab},
                           {"discount", c.settings.discount},
                           {"train_tokens", c.floors.train_tokens},
                           {"eval_windows", c.floors.eval_windows},
                           {"eval_tokens", c.floors.eval_tokens},
                           {"cache_file", c.floors.cache_file},
                           {"from_cache", c.floors.from_cache},
                           {"floors", floors}});
    }
    return {{"split", split_name(f.split)}, {"configurations", configs}, {"notes", f.notes}};
}

}  // namespace altup
