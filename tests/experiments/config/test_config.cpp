// Config parsing: a table of bad inputs and the exact message each produces,
// presets and override precedence, --set, round trips and stable ids.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>

#include "experiments/config/config_io.hpp"

using namespace altup;
namespace fs = std::filesystem;

namespace {
std::string write_yaml(const std::string& name, const std::string& text) {
    const fs::path dir = fs::temp_directory_path() / ("altup-config-test-" + std::to_string(::getpid()));
    fs::create_directories(dir);
    const std::string path = (dir / name).string();
    std::ofstream(path) << text;
    return path;
}

std::string error_of(const std::string& path, const std::vector<std::string>& overrides = {}) {
    try {
        load_config(path, overrides);
    } catch (const ConfigError& e) {
        return e.what();
    }
    return "(no error)";
}
}  // namespace

TEST_CASE("bad configs give messages naming file, line, column, key and expectation", "[config]") {
    struct Row { std::string yaml, message; };
    const std::vector<Row> rows = {
        // The two examples of the issue, at their lines and columns.
        {"name: quick\nseed: 1\nmodel:\n  preset: tiny\n  vocab: 8192\n  altup:\n    k: two\n",
         "q.yaml:7:5: model.altup.k: expected an integer >= 1, got \"two\""},
        {"name: quick\nseed: 1\nmodel:\n  preset: tiny\n  vocab: 8192\n  altup:\n    k: 2\n  seq_len: 128\n  hedas: 4\n",
         "q.yaml:9:3: model.hedas: unknown key (did you mean model.heads?)"},
        {"model:\n  altup:\n    k: two\n", "q.yaml:3:5: model.altup.k: expected an integer >= 1, got \"two\""},
        {"model:\n  altup:\n    k: 0\n", "q.yaml:3:5: model.altup.k: expected an integer >= 1, got \"0\""},
        {"model:\n  hedas: 4\n", "q.yaml:2:3: model.hedas: unknown key (did you mean model.heads?)"},
        {"modle:\n  heads: 4\n", "q.yaml:1:1: modle: unknown key (did you mean model?)"},
        {"train:\n  lr: -1\n", "q.yaml:2:3: train.lr: expected a number > 0, got \"-1\""},
        {"train:\n  steps: 2.5\n", "q.yaml:2:3: train.steps: expected an integer >= 1, got \"2.5\""},
        {"model:\n  norm: batchnorm\n", "q.yaml:2:3: model.norm: expected one of layernorm or rmsnorm, got \"batchnorm\""},
        {"model:\n  d_model: 100\n  heads: 3\n", "q.yaml:3:3: model.heads: d_model (100) must be divisible by heads (3)"},
        {"model:\n  moe:\n    experts: 4\n    top_k: 3\n", "q.yaml:4:5: model.moe.top_k: expected 1 or 2, got \"3\""},
        {"model:\n  moe:\n    experts: 1\n    top_k: 2\n", "q.yaml:4:5: model.moe.top_k: must be <= model.moe.experts (1), got 2"},
        // MoE in every 4th layer of a 2-layer model: no layer would get experts.
        {"model:\n  layers: 2\n  moe:\n    experts: 4\n    every: 4\n",
         "q.yaml:5:5: model.moe.every: MoE goes into every 4-th layer, but the model has 2 layers: no layer would get "
         "experts (expected model.moe.every <= model.layers)"},
        {"model:\n  moe:\n    experts: -1\n", "q.yaml:3:5: model.moe.experts: expected an integer >= 0 (0 = dense FFN), got \"-1\""},
        {"model:\n  altup:\n    recycled: true\n", "q.yaml:3:5: model.altup.recycled: needs model.altup.k >= 2, got k = 1"},
        {"model:\n  altup:\n    k: 2\n    recycled: true\n    output: concat\n",
         "q.yaml:5:5: model.altup.output: Recycled-AltUp reduces the blocks to d: expected sum or mean, got \"concat\""},
        {"model:\n  altup:\n    k: 2\n    recycled: yes please\n", "q.yaml:4:5: model.altup.recycled: expected true or false, got \"yes please\""},
        {"model:\n  altup:\n    k: 2\n    recycled: true\n    style: gemma3n\n",
         "q.yaml:5:5: model.altup.style: gemma3n style cannot be combined with model.altup.recycled"},
        {"model:\n  seq_len: 10\n  sequence_altup:\n    stride: 3\n",
         "q.yaml:4:5: model.sequence_altup.stride: model.seq_len (10) must be divisible by the stride (3)"},
        {"data:\n  tokenizer: bytes\n", "q.yaml:2:3: data.tokenizer: the bytes tokenizer has 256 symbols: expected model.vocab = 256, got 8192"},
        {"model:\n  vocab: 300\ndata:\n  tokenizer: bytes\n",
         "q.yaml:2:3: model.vocab: the bytes tokenizer has 256 symbols: expected model.vocab = 256, got 300"},
        {"data:\n  corpus: text\n", "q.yaml:2:3: data.corpus: corpus \"text\" needs data.path (a plain-text file)"},
        {"data:\n  corpus: text\n  path: /nonexistent/corpus.txt\n",
         "q.yaml:3:3: data.path: expected a readable file, \"/nonexistent/corpus.txt\" does not exist"},
        {"data:\n  corpus: tokens\n  path: /tmp\nfinetune:\n  task: pos\n  from: runs/x\n",
         "q.yaml:5:3: finetune.task: the downstream tasks are Brown text, encoded with the pretraining run's tokenizer, and "
         "corpus \"tokens\" has none: expected data.corpus = brown, prose or text"},
        {"model: 3\n", "q.yaml:1:1: model: expected a mapping of keys, got \"3\""},
        {"train:\n  optimizer: sgd\n", "q.yaml:2:3: train.optimizer: expected one of adamw or adafactor, got \"sgd\""},
        {"train:\n  dtype: fp16\n", "q.yaml:2:3: train.dtype: expected one of f32 or bf16, got \"fp16\""},
        {"eval:\n  every: [1, 2]\n", "q.yaml:2:3: eval.every: expected an integer >= 0 (0 = only at the end), got \"a list\""},
        {"model:\n  heads: 4\n   d_ff: 3\n",
         "q.yaml:3:8: a ':' the YAML reader cannot place: a key indented deeper than the keys beside it, or a value "
         "containing ': ' (indent keys of one section alike, or quote the value)"},
        {"", "q.yaml: the config is empty"},
        {"model:\n  altup:\n    k: 2\n    k: 3\n", "q.yaml:4:5: model.altup.k: duplicate key (first set at line 3, column 5); keep one of the two"},
        {"name: a\n---\nname: b\n", "q.yaml:3:1: expected one YAML document, found 2 (the second starts here)"},
        {"- model\n", "q.yaml:1:1: expected a mapping with sections model, data, train, eval, finetune, got \"a list\""},
        {"model:\n  d_model: 99999999999\n", "q.yaml:2:3: model.d_model: expected an integer >= 1, got \"99999999999\" (at most 2147483647)"},
        {"model:\n  d_model: 102\n", "q.yaml:2:3: model.d_model: d_model (102) must be divisible by heads (4)"},
        {"model:\n  preset: tiny\n  width_mult: 20000000\n",
         "q.yaml:3:3: model.width_mult: the widened model is too large: d_model x width_mult x altup.k = 128 x 20000000 x 1, "
         "d_ff x width_mult = 512 x 20000000 (each must be at most 2147483647)"},
        {"model:\n  altup:\n    style: gemma3n\n", "q.yaml:3:5: model.altup.style: gemma3n style needs model.altup.k >= 2, got k = 1"},
        {"model:\n  sequence_altup:\n    stride: 0\n", "q.yaml:3:5: model.sequence_altup.stride: expected an integer >= 1 (1 = off), got \"0\""},
        {"model:\n  seq_len: 1\n", "q.yaml:2:3: model.seq_len: expected an integer >= 2, got \"1\""},
        {"train:\n  beta2: 1\n", "q.yaml:2:3: train.beta2: expected a number in [0, 1), got \"1\""},
        {"data:\n  split: {valid: 0.3, test: 0.25}\n",
         "q.yaml:2:11: data.split.valid: valid + test (0.3 + 0.25) must leave at least half of the documents for training"},
        {"model:\n  altup:\n    selection: random\n", "q.yaml:3:5: model.altup.selection: expected one of alternating or same, got \"random\""},
        {"model:\n  altup:\n    output: max\n", "q.yaml:3:5: model.altup.output: expected one of concat, sum or mean, got \"max\""},
        {"name: ../escape\n", "q.yaml:1:1: name: expected a trial name that stays inside the runs folder (not absolute, no '.' or '..' parts), got \"../escape\""},
        {"name: /abs\n", "q.yaml:1:1: name: expected a trial name that stays inside the runs folder (not absolute, no '.' or '..' parts), got \"/abs\""},
        {"name: a/./b\n", "q.yaml:1:1: name: expected a trial name that stays inside the runs folder (not absolute, no '.' or '..' parts), got \"a/./b\""},
        {"seeds: 3\n", "q.yaml:1:1: seeds: unknown key (did you mean seed?)"},
        {"model:\n  moe:\n    exprts: 4\n", "q.yaml:3:5: model.moe.exprts: unknown key (did you mean model.moe.experts?)"},
    };
    for (const auto& r : rows) {
        const std::string path = write_yaml("q.yaml", r.yaml);
        const std::string msg = error_of(path);
        INFO("input:\n" << r.yaml);
        // Messages start with the file's full path; compare from its name on.
        const auto pos = msg.find("q.yaml");
        REQUIRE(pos != std::string::npos);
        CHECK(msg.substr(pos) == r.message);
    }
    CHECK(error_of("/nonexistent/x.yaml") == "/nonexistent/x.yaml: no such config file");
    const std::string dir = fs::path(write_yaml("q.yaml", "")).parent_path().string();
    CHECK(error_of(dir) == dir + ": not a regular file");
}

// (A test name must not start with "--": ctest hands it to Catch as a filter.)
TEST_CASE("command-line overrides (--set) are validated and named in errors", "[config]") {
    const std::string path = write_yaml("ok.yaml", "model:\n  preset: tiny\n");
    CHECK(error_of(path, {"model.altup.k=two"}) == "--set model.altup.k=two: model.altup.k: expected an integer >= 1, got \"two\"");
    CHECK(error_of(path, {"model.altup.kk=2"}) == "--set model.altup.kk=2: model.altup.kk: unknown key (did you mean model.altup.k?)");
    CHECK(error_of(path, {"model.altup.k"}) == "--set model.altup.k: expected KEY=VALUE, e.g. model.altup.k=2");
    const Config c = load_config(path, {"model.altup.k=2", "train.lr=3e-4", "model.altup.recycled=true"});
    CHECK(c.model.altup.k == 2);
    CHECK(c.train.lr == Approx(3e-4));
    CHECK(c.model.altup.recycled);
    CHECK(c.model.altup.output == AltUpOutput::sum);  // recycled resolves the default concat to sum
}

TEST_CASE("a preset applies first and explicit keys override it, whatever the order", "[config]") {
    const Config a = load_config(write_yaml("p1.yaml", "model:\n  d_ff: 100\n  preset: base\n"));
    CHECK(a.model.d_model == 384);
    CHECK(a.model.layers == 6);
    CHECK(a.model.heads == 6);
    CHECK(a.model.d_ff == 100);
    const Config b = load_config(write_yaml("p2.yaml", "model:\n  preset: tiny\n"));
    CHECK(b.model.d_model == 128);
    CHECK(b.model.layers == 2);
    CHECK(b.model.heads == 2);
    CHECK(b.model.d_ff == 512);
}

TEST_CASE("resolved config round-trips and ids are stable", "[config]") {
    const std::string p1 = write_yaml("r1.yaml", "name: a\nmodel:\n  preset: small\n  altup:\n    k: 2\ntrain:\n  lr: 0.002\n  steps: 10\n");
    const std::string p2 = write_yaml("r2.yaml", "train:\n  steps: 10\n  lr: 0.002\nmodel:\n  altup:\n    k: 2\n  preset: small\nname: b\n");
    const Config a = load_config(p1), b = load_config(p2);
    CHECK(config_id(a) == config_id(b));  // reordered keys (and another name): same trial
    CHECK(config_id(a).size() == 12);
    Config c = a;
    c.train.lr = 0.003;
    CHECK(config_id(c) != config_id(a));
    Config t = a;
    t.train.threads = 1;  // how fast it runs is not what it is
    CHECK(config_id(t) == config_id(a));

    YAML::Emitter out;
    out << to_yaml(a);
    const std::string p3 = write_yaml("r3.yaml", out.c_str());
    const Config back = load_config(p3);
    CHECK(config_id(back) == config_id(a));
    CHECK(to_json(back) == to_json(a));
    CHECK(to_json(a)["model"]["altup"]["k"] == 2);
    CHECK(to_json(a)["model"]["norm"] == "layernorm");
    CHECK(to_json(a)["data"]["path"].is_null());
}

TEST_CASE("a key added later keeps the ids of trials recorded before it, at the behaviour they had", "[config]") {
    // The committed studies' folders are named by the trial ids the binary
    // that ran them gave them; the older ones were written before
    // model.sequence_altup.offset existed, and must read as offset fixed.
    int checked = 0, written_before_offset = 0, sequence_altup_before_offset = 0;
    for (const auto& sweep : fs::directory_iterator(std::string(ALTUP_SOURCE_DIR) + "/results")) {
        if (!sweep.is_directory()) continue;
        for (const auto& trial : fs::directory_iterator(sweep.path())) {
            const fs::path config = trial.path() / "config.yaml";
            if (!fs::exists(config)) continue;
            const Config c = load_config(config.string());
            INFO(config.string());
            CHECK(config_id(c) == trial.path().filename().string());
            ++checked;
            const YAML::Node recorded = YAML::LoadFile(config.string())["model"]["sequence_altup"];
            if (recorded && recorded["offset"]) continue;
            CHECK(c.model.sequence_altup.offset == SequenceAltUpOffset::fixed);
            ++written_before_offset;
            sequence_altup_before_offset += c.model.sequence_altup.stride > 1;
        }
    }
    CHECK(checked > 20);
    CHECK(written_before_offset > 20);
    CHECK(sequence_altup_before_offset > 0);
    const Config fixed = load_config(write_yaml("so1.yaml", "model:\n  sequence_altup: {stride: 2, offset: fixed}\n"));
    const Config unsaid = load_config(write_yaml("so2.yaml", "model:\n  sequence_altup: {stride: 2}\n"));
    const Config alternating = load_config(write_yaml("so3.yaml", "model:\n  sequence_altup: {stride: 2, offset: alternating}\n"));
    CHECK(config_id(fixed) == config_id(unsaid));
    CHECK(config_id(alternating) != config_id(fixed));
    CHECK(to_json(alternating)["model"]["sequence_altup"]["offset"] == "alternating");
}

TEST_CASE("schema queries used by sweeps", "[config]") {
    CHECK(is_known_key("model.altup.k"));
    CHECK_FALSE(is_known_key("model.altup"));
    CHECK(suggest_key("model.width_mul") == "model.width_mult");
    CHECK(suggest_key("totally.unrelated.thing") == "");
    CHECK(suggest_key("model.k") == "model.altup.k");          // the key, not the section "model"
    CHECK(suggest_key("train.seq_len") == "model.seq_len");    // right key, wrong section
    CHECK(suggest_key("train.every") == "eval.every");         // the nearer of eval.every, model.moe.every
    CHECK(suggest_key("modle") == "model");                    // a section's typo
    CHECK(suggest_key("data.valid") == "data.split.valid");
}

TEST_CASE("the shipped configs parse", "[config]") {
    const Config q = load_config(std::string(ALTUP_SOURCE_DIR) + "/experiments/configs/quickstart.yaml");
    CHECK(q.model.preset == "tiny");
    CHECK(q.model.d_model == 128);
    CHECK(q.model.layers == 2);
    CHECK(q.model.heads == 2);
    CHECK(q.model.vocab == 8192);
    CHECK(q.model.seq_len == 128);
    CHECK(q.model.altup.k == 1);
    CHECK(q.data.corpus == CorpusKind::brown);
    CHECK(q.data.tokenizer == TokenizerKind::sentencepiece);
    CHECK(q.data.tokenizer_type == SentencePieceType::unigram);
    CHECK(q.train.steps == 300);
    CHECK(q.train.batch == 16);
    CHECK(q.train.warmup == 30);
    CHECK(q.train.lr == 2.0e-3);
    CHECK(q.train.checkpoint_every == 100);
    CHECK(q.eval.every == 100);
    CHECK(q.eval.batches == 20);
    // Its AltUp counterpart, as the README suggests, is valid too.
    CHECK(load_config(std::string(ALTUP_SOURCE_DIR) + "/experiments/configs/quickstart.yaml", {"model.altup.k=2"}).model.altup.k == 2);
}

namespace {
// Every leaf of a JSON object as "a.b.c" -> value.
void flatten(const nlohmann::json& j, const std::string& prefix, std::map<std::string, nlohmann::json>& out) {
    for (auto it = j.begin(); it != j.end(); ++it) {
        const std::string key = prefix.empty() ? it.key() : prefix + "." + it.key();
        if (it->is_object()) flatten(*it, key, out);
        else out[key] = *it;
    }
}
}  // namespace

TEST_CASE("docs/config.md documents every key with its actual default", "[config]") {
    // Rows look like: | `model.altup.k` | integer | `1` | >= 1 | meaning |
    std::map<std::string, std::string> documented_default;
    std::ifstream doc(std::string(ALTUP_SOURCE_DIR) + "/docs/config.md");
    REQUIRE(doc);
    for (std::string line; std::getline(doc, line);) {
        if (line.rfind("| `", 0) != 0) continue;
        std::vector<std::string> cells;
        for (size_t start = 1, bar; (bar = line.find('|', start)) != std::string::npos; start = bar + 1)
            cells.push_back(line.substr(start, bar - start));
        REQUIRE(cells.size() == 5);
        auto unquote = [](std::string s) {
            const auto a = s.find('`'), b = s.rfind('`');
            return a == std::string::npos || a == b ? s : s.substr(a + 1, b - a - 1);
        };
        const std::string key = unquote(cells[0]);
        if (!is_known_key(key)) continue;  // the preset table
        documented_default[key] = unquote(cells[2]);
    }
    std::map<std::string, nlohmann::json> defaults;
    flatten(to_json(Config{}), "", defaults);
    CHECK(defaults.size() == documented_default.size());
    for (const auto& [key, value] : defaults) {
        INFO(key);
        REQUIRE(documented_default.count(key));
        const YAML::Node doc_value = YAML::Load(documented_default[key]);
        if (value.is_null()) CHECK(doc_value.IsNull());
        else if (value.is_boolean()) CHECK(doc_value.as<bool>() == value.get<bool>());
        else if (value.is_number()) CHECK(doc_value.as<double>() == Approx(value.get<double>()));
        else CHECK(doc_value.as<std::string>() == value.get<std::string>());
    }
}

TEST_CASE("an override (--set) replaces the file's value, keeps preset precedence and names itself in errors", "[config]") {
    const std::string path = write_yaml("s.yaml", "model:\n  preset: tiny\n  d_ff: 100\n  altup:\n    k: 4\ndata:\n  path: /x\n");
    const Config c = load_config(path, {"model.altup.k=2", "model.preset=base", "data.path=null"});
    CHECK(c.model.altup.k == 2);       // the override wins over the file
    CHECK(c.model.d_model == 384);     // the overriding preset applies ...
    CHECK(c.model.d_ff == 100);        // ... but still under the file's explicit key
    CHECK(c.data.path.empty());        // null clears a nullable key
    // A bad value in the file that an override replaces is never looked at.
    const std::string bad = write_yaml("s2.yaml", "model:\n  altup:\n    k: two\n");
    CHECK(load_config(bad, {"model.altup.k=3"}).model.altup.k == 3);
    // A combination error blames the override that set the key.
    CHECK(error_of(path, {"model.heads=5"}) == "--set model.heads=5: model.heads: d_model (128) must be divisible by heads (5)");
    CHECK(error_of(path, {" model.altup.k = 2"}) == "(no error)");  // blanks around the key are ignored
    CHECK(error_of(path, {"name=sweep-/data/x.txt-s1"}) == "(no error)");  // sweep names carry label values
}

TEST_CASE("recycled keeps an explicit sum or mean", "[config]") {
    const Config c = load_config(write_yaml("rc.yaml", "model:\n  altup: {k: 2, recycled: true, output: mean}\n"));
    CHECK(c.model.altup.output == AltUpOutput::mean);
    const Config d = load_config(write_yaml("rd.yaml", "model:\n  altup: {k: 3, recycled: false}\n"));
    CHECK(d.model.altup.output == AltUpOutput::concat);
}

TEST_CASE("in-memory trees (sweeps) are named by their source", "[config]") {
    YAML::Node root = YAML::Load("model: {preset: tiny}\n");
    apply_override(root, "model.moe.experts=2", "sweep.yaml: trial k=2");
    apply_override(root, "model.moe.top_k=2", "sweep.yaml: trial k=2");
    const Config c = parse_config(root, "sweep.yaml: trial k=2");
    CHECK(c.model.moe.experts == 2);
    CHECK(c.model.moe.top_k == 2);
    CHECK(c.model.d_model == 128);
    apply_override(root, "model.moe.experts=1", "sweep.yaml: trial k=2");
    try {
        parse_config(root, "sweep.yaml: trial k=2");
        FAIL("expected a ConfigError");
    } catch (const ConfigError& e) {
        CHECK(std::string(e.what()) == "sweep.yaml: trial k=2: model.moe.top_k: must be <= model.moe.experts (1), got 2");
    }
    try {
        apply_override(root, "model.moe.expert=1", "sweep.yaml: trial k=2");
        FAIL("expected a ConfigError");
    } catch (const ConfigError& e) {
        CHECK(std::string(e.what()) == "sweep.yaml: trial k=2: model.moe.expert: unknown key (did you mean model.moe.experts?)");
    }
}

TEST_CASE("every field of the config structs is a key of the resolved config", "[config]") {
    std::map<std::string, nlohmann::json> leaves;
    flatten(to_json(Config{}), "", leaves);
    // name, seed; model 11 + altup 6 + sequence_altup 3 + moe 5; data 8; train 18; eval 3; finetune 12.
    CHECK(leaves.size() == 2 + 11 + 6 + 3 + 5 + 8 + 18 + 3 + 12);
    for (const auto& [key, value] : leaves) CHECK(is_known_key(key));
    const YAML::Node y = to_yaml(Config{});
    CHECK(y["model"]["altup"]["style"].as<std::string>() == "paper");
    CHECK(y["model"]["sequence_altup"]["mode"].as<std::string>() == "predict_correct");
    CHECK(y["model"]["sequence_altup"]["offset"].as<std::string>() == "fixed");
    CHECK(y["data"]["cache_dir"].IsNull());
}

TEST_CASE("a config far from the defaults round-trips exactly through to_yaml", "[config]") {
    const std::string corpus = write_yaml("corpus.txt", "some text\n");
    const Config a = load_config(write_yaml("far.yaml",
        "name: far\nseed: 1152921504606846977\n"   // 2^60 + 1: not exact in a double
        "model:\n  preset: large\n  vocab: 256\n  norm: rmsnorm\n  activation: relu\n  width_mult: 2\n  init_std: 0.3\n"
        "  altup: {k: 3, recycled: true, selection: same, compute_on: prediction, output: mean}\n"
        "  sequence_altup: {stride: 4, mode: skip, offset: alternating}\n"
        "  moe: {experts: 4, top_k: 2, every: 1, capacity_factor: 2.5, aux_loss: 0}\n"
        "data:\n  corpus: text\n  path: " + corpus + "\n  tokenizer: bytes\n  tokenizer_type: bpe\n"
        "  split: {valid: 0.1, test: 0.2}\n  cache_dir: /tmp/cache\n"
        "train: {steps: 7, batch: 3, grad_accum: 2, optimizer: adafactor, lr: 0.30000000000000004, weight_decay: 0,\n"
        "        beta1: 0, beta2: 0.95, eps: 1.0e-6, warmup: 0, schedule: rsqrt, min_lr_ratio: 1, clip: 0,\n"
        "        threads: 2, checkpoint_every: 0, checkpoint: none, log_every: 1}\n"
        "eval: {every: 0, batches: 0, batch: 1}\n"));
    CHECK(a.seed == 1152921504606846977ULL);
    CHECK(a.model.d_model == 512);
    CHECK(a.model.altup.style == AltUpStyle::paper);
    CHECK(a.train.lr == 0.30000000000000004);
    CHECK(a.train.checkpoint == CheckpointKeep::none);
    YAML::Emitter out;
    out << to_yaml(a);
    const Config back = load_config(write_yaml("far-back.yaml", out.c_str()));
    CHECK(to_json(back) == to_json(a));
    CHECK(config_id(back) == config_id(a));
    CHECK(back.seed == a.seed);
    CHECK(back.train.lr == a.train.lr);  // bit-exact, not approximately
    CHECK(back.data.path == corpus);
}
