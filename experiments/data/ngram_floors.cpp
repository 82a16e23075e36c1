#include "experiments/data/ngram_floors.hpp"

#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string_view>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "experiments/data/ngram_model.hpp"
#include "util/atomic_file.hpp"
#include "util/hash.hpp"

namespace altup {
namespace {

using nlohmann::json;

constexpr int kFloorsFormat = 1;
constexpr const char* kSmoothing =
    "unigram: add-one; bigram, trigram: interpolated Kneser-Ney with a fixed discount D, continuation counts at "
    "the lower orders, the continuation unigram interpolated with the uniform distribution over model.vocab ids";

const char* model_name(int order) {
    switch (order) {
        case 1: return "unigram (add-one)";
        case 2: return "bigram (interpolated KN)";
        default: return "trigram (interpolated KN)";
    }
}

void check_settings(const FloorSettings& s) {
    if (s.seq_len < 1) throw std::invalid_argument(fmt::format("model.seq_len {}: expected at least 1", s.seq_len));
    if (s.eval_batch < 1) throw std::invalid_argument(fmt::format("eval.batch {}: expected at least 1", s.eval_batch));
    if (s.eval_batches < 0)
        throw std::invalid_argument(fmt::format("eval.batches {}: expected 0 (the whole split) or more", s.eval_batches));
    if (s.vocab < 1) throw std::invalid_argument(fmt::format("model.vocab {}: expected at least 1", s.vocab));
}

json token_file(const std::vector<int32_t>& tokens) {
    const std::string_view bytes(reinterpret_cast<const char*>(tokens.data()), tokens.size() * sizeof(int32_t));
    return {{"tokens", tokens.size()}, {"fnv1a64", fmt::format("{:016x}", fnv1a64(bytes))}};
}

// Everything the floors were computed from; a cache file is valid when its copy is equal.
json provenance(const TokenSplits& data, const FloorSettings& s) {
    return {{"format", kFloorsFormat},
            {"smoothing", kSmoothing},
            {"discount", s.discount},
            {"vocab", s.vocab},
            {"eval", {{"split", split_name(s.split)}, {"seq_len", s.seq_len}, {"batch", s.eval_batch}, {"batches", s.eval_batches}}},
            {"token_files", {{"train.bin", token_file(data.train)},
                             {fmt::format("{}.bin", split_name(s.split)), token_file(held_out(data, s.split))}}}};
}

json floors_json(const NgramFloors& f, json computed_from) {
    json floors = json::array();
    for (const NgramFloor& x : f.floors)
        floors.push_back({{"order", x.order}, {"model", x.model}, {"loss", x.loss}, {"accuracy", x.accuracy}});
    return {{"computed_from", std::move(computed_from)},
            {"train_tokens", f.train_tokens},
            {"eval_windows", f.eval_windows},
            {"eval_tokens", f.eval_tokens},
            {"floors", floors}};
}

// The cached floors when the file exists, parses and was computed from `expected`.
std::optional<NgramFloors> read_cached(const std::string& path, const json& expected) {
    const std::string text = read_file_or_empty(path);
    if (text.empty()) return std::nullopt;
    try {
        const json j = json::parse(text);
        if (j.at("computed_from") != expected) return std::nullopt;
        NgramFloors f;
        f.train_tokens = j.at("train_tokens").get<int64_t>();
        f.eval_windows = j.at("eval_windows").get<int64_t>();
        f.eval_tokens = j.at("eval_tokens").get<int64_t>();
        for (const json& x : j.at("floors"))
            f.floors.push_back({x.at("order").get<int>(), x.at("model").get<std::string>(), x.at("loss").get<double>(),
                                x.at("accuracy").get<double>()});
        if (f.floors.size() != 3) return std::nullopt;
        f.from_cache = true;
        return f;
    } catch (const json::exception&) {
        return std::nullopt;  // torn or hand-edited: recompute
    }
}

}  // namespace

NgramFloors compute_ngram_floors(const std::vector<int32_t>& train, const std::vector<int32_t>& held_out, const FloorSettings& s) {
    check_settings(s);
    const size_t windows = eval_window_count(held_out, s.seq_len);
    if (windows == 0)
        throw std::invalid_argument(fmt::format("the {} split ({} tokens) is shorter than one window of model.seq_len+1 = {} tokens",
                                                s.split == EvalSplit::valid ? "validation" : "test", held_out.size(), s.seq_len + 1));
    const size_t budget = eval_window_budget(windows, s.eval_batch, s.eval_batches);
    std::vector<int32_t> inputs(budget * size_t(s.seq_len)), targets(inputs.size());
    eval_windows(held_out, s.seq_len, 0, budget, inputs.data(), targets.data());
    NgramFloors f;
    f.train_tokens = int64_t(train.size());
    f.eval_windows = int64_t(budget);
    f.eval_tokens = int64_t(inputs.size());
    for (int order = 1; order <= 3; ++order) {
        const NgramModel model(train, order, s.vocab, s.discount);
        const NgramScore score = score_windows(model, inputs, targets, s.seq_len);
        f.floors.push_back({order, model_name(order), score.loss, score.accuracy});
    }
    return f;
}

std::string ngram_floors_path(const std::string& token_dir, const FloorSettings& s) {
    const std::string settings = fmt::format("v{}|{}|seq_len={}|batch={}|batches={}|vocab={}|D={}", kFloorsFormat, split_name(s.split),
                                             s.seq_len, s.eval_batch, s.eval_batches, s.vocab, s.discount);
    return (std::filesystem::path(token_dir) / fmt::format("ngram-floors-{:016x}.json", fnv1a64(settings))).string();
}

NgramFloors ngram_floors(const TokenSplits& data, const FloorSettings& s) {
    check_settings(s);
    const std::string path = ngram_floors_path(data.cache_dir, s);
    const json expected = provenance(data, s);
    if (std::optional<NgramFloors> cached = read_cached(path, expected)) {
        cached->cache_file = path;
        return *cached;
    }
    NgramFloors f;
    try {
        f = compute_ngram_floors(data.train, held_out(data, s.split), s);
    } catch (const std::invalid_argument& e) {
        throw std::runtime_error(fmt::format("{}: {}", data.cache_dir, e.what()));
    }
    f.cache_file = path;
    try {
        write_file_atomically(path, floors_json(f, expected).dump(2) + "\n");
    } catch (const std::exception& e) {
        f.cache_note = fmt::format("not cached: {}", e.what());
    }
    return f;
}

}  // namespace altup
