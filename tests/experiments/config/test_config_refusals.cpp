// Configs that cannot mean what they say are refused before anything runs,
// each with file:line:col (or the --set), the key, and the fix:
//   - AltUp, Sequence-AltUp and MoE settings that a switched-off variant ignores;
//   - names no file system can hold, and models no memory here can hold;
//   - YAML the library misreads or words in its own terms.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <fmt/format.h>

#include "experiments/config/config_io.hpp"
#include "experiments/config/memory_estimate.hpp"

using namespace altup;
namespace fs = std::filesystem;

namespace {
fs::path test_dir() {
    const fs::path dir = fs::temp_directory_path() / ("altup-refusals-test-" + std::to_string(::getpid()));
    fs::create_directories(dir);
    return dir;
}

std::string write_yaml(const std::string& name, const std::string& text) {
    const std::string path = (test_dir() / name).string();
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

// Each row: a file, its --set overrides, and the whole message with {f} for the file's path.
struct Row {
    std::string yaml;
    std::vector<std::string> overrides;
    std::string message;
};

void check_rows(const std::vector<Row>& rows) {
    for (const auto& r : rows) {
        const std::string path = write_yaml("c.yaml", r.yaml);
        INFO("input:\n" << r.yaml);
        for (const auto& o : r.overrides) INFO("--set " << o);
        std::string expected = r.message;
        for (size_t at; (at = expected.find("{f}")) != std::string::npos;) expected.replace(at, 3, path);
        CHECK(error_of(path, r.overrides) == expected);
    }
}
}  // namespace

TEST_CASE("AltUp, Sequence-AltUp and MoE settings that change nothing are refused naming both keys", "[config][refusals]") {
    check_rows({
        // K = 1 is no AltUp: its selection, compute_on and output would be recorded but never used.
        {"model:\n  altup:\n    selection: same\n", {},
         "{f}:3:5: model.altup.selection: \"same\" has no effect: AltUp is off at model.altup.k = 1 (model.altup.k is the default); "
         "set model.altup.k >= 2 to use it, or remove model.altup.selection"},
        {"model:\n  altup:\n    k: 1\n    compute_on: prediction\n", {},
         "{f}:4:5: model.altup.compute_on: \"prediction\" has no effect: AltUp is off at model.altup.k = 1; "
         "set model.altup.k >= 2 to use it, or remove model.altup.compute_on"},
        {"model:\n  altup:\n    output: sum\n", {},
         "{f}:3:5: model.altup.output: \"sum\" has no effect: AltUp is off at model.altup.k = 1: its one block goes to the "
         "head as it is (model.altup.k is the default); set model.altup.k >= 2 to use it, or remove model.altup.output"},
        // An override that switches AltUp off blames the key it leaves idle, at its line.
        {"model:\n  altup:\n    k: 2\n    selection: same\n", {"model.altup.k=1"},
         "{f}:4:5: model.altup.selection: \"same\" has no effect: AltUp is off at model.altup.k = 1; "
         "set model.altup.k >= 2 to use it, or remove model.altup.selection"},
        // Gemma 3n averages its blocks whatever output says (layers/model.cpp).
        {"model:\n  altup:\n    k: 2\n    style: gemma3n\n    output: sum\n", {},
         "{f}:5:5: model.altup.output: \"sum\" has no effect: gemma3n style always averages the K blocks before the head; "
         "write model.altup.output: mean, or remove model.altup.output"},
        // Sequence-AltUp: off at stride 1; a stride of seq_len or more leaves each layer one token or none.
        {"model:\n  sequence_altup:\n    mode: skip\n", {},
         "{f}:3:5: model.sequence_altup.mode: \"skip\" has no effect: Sequence-AltUp is off at model.sequence_altup.stride = 1 "
         "(model.sequence_altup.stride is the default); set model.sequence_altup.stride >= 2 to use it, or remove model.sequence_altup.mode"},
        {"model:\n  seq_len: 8\n  sequence_altup:\n    stride: 8\n", {},
         "{f}:4:5: model.sequence_altup.stride: Sequence-AltUp computes every 8-th token, but a sequence has 8 tokens: each "
         "layer would compute only the first of them (expected model.sequence_altup.stride <= model.seq_len / 2 = 4)"},
        {"model:\n  seq_len: 8\n", {"model.sequence_altup.stride=16"},
         "--set model.sequence_altup.stride=16: model.sequence_altup.stride: Sequence-AltUp computes every 16-th token, but a "
         "sequence has 8 tokens: each layer would compute none of them (expected model.sequence_altup.stride <= "
         "model.seq_len / 2 = 4)"},
        // MoE's own keys on a dense model; and (already refused before) MoE past the last layer.
        {"model:\n  moe:\n    top_k: 2\n", {},
         "{f}:3:5: model.moe.top_k: 2 has no effect: the FFN is dense at model.moe.experts = 0 (model.moe.experts is the default); "
         "set model.moe.experts >= 1 to use MoE, or remove model.moe.top_k"},
        {"model:\n  moe:\n    experts: 4\n    capacity_factor: 2\n", {"model.moe.experts=0"},
         "{f}:4:5: model.moe.capacity_factor: 2.0 has no effect: the FFN is dense at model.moe.experts = 0; set model.moe.experts >= 1 to use MoE, or remove model.moe.capacity_factor"},
        {"model:\n  layers: 2\n  moe:\n    experts: 4\n    every: 3\n", {},
         "{f}:5:5: model.moe.every: MoE goes into every 3-th layer, but the model has 2 layers: no layer would get experts "
         "(expected model.moe.every <= model.layers)"},
    });
}

TEST_CASE("settings that agree with what the variant does are accepted", "[config][refusals]") {
    // Defaults written out (a resolved config.yaml writes every key) are not "settings that do nothing".
    CHECK(error_of(write_yaml("ok1.yaml", "model:\n  altup: {k: 1, selection: alternating, compute_on: input, output: concat}\n"
                                          "  sequence_altup: {stride: 1, mode: predict_correct}\n"
                                          "  moe: {experts: 0, top_k: 1, every: 2, capacity_factor: 1.25, aux_loss: 0.01}\n")) ==
          "(no error)");
    CHECK(error_of(write_yaml("ok2.yaml", "model:\n  altup: {k: 2, style: gemma3n, output: mean}\n")) == "(no error)");
    CHECK(error_of(write_yaml("ok3.yaml", "model:\n  seq_len: 8\n  sequence_altup: {stride: 4, mode: skip}\n")) == "(no error)");
    CHECK(error_of(write_yaml("ok4.yaml", "model:\n  altup: {k: 4, selection: same}\n  moe: {experts: 2, top_k: 2, every: 1}\n")) ==
          "(no error)");
    // A resolved config of a K = 1 trial reads back.
    YAML::Emitter out;
    out << to_yaml(load_config(write_yaml("ok5.yaml", "model: {preset: tiny}\n")));
    CHECK(error_of(write_yaml("ok5-resolved.yaml", out.c_str())) == "(no error)");
}

TEST_CASE("a name no file system can hold is refused with the limit", "[config][refusals]") {
    // The limit is the file system's: a folder of 255 bytes can be made here, one of 256 cannot.
    const fs::path dir = test_dir();
    std::error_code ec;
    CHECK(fs::create_directory(dir / std::string(255, 'n'), ec));
    CHECK_FALSE(fs::create_directory(dir / std::string(256, 'n'), ec));
    CHECK(ec == std::errc::filename_too_long);

    const std::string a300(300, 'a');
    check_rows({
        {"seed: 1\nname: " + a300 + "\n", {},
         "{f}:2:1: name: the folder name \"aaaaaaaaaaaaaaaaaaaaaaaa...\" is 300 bytes long, but a folder name can have at "
         "most 255 (the file system's NAME_MAX): shorten the name, or split it with '/'"},
        {"name: ok\n", {"name=runs-of/" + a300},
         "--set name=runs-of/" + a300 + ": name: the folder name \"aaaaaaaaaaaaaaaaaaaaaaaa...\" is 300 bytes long, but a "
         "folder name can have at most 255 (the file system's NAME_MAX): shorten the name, or split it with '/'"},
    });
    // Folders of 200 bytes each, 20 of them: each fits, the path does not.
    std::string deep;
    for (int i = 0; i < 20; ++i) deep += (i ? "/" : "") + std::string(200, 'd');
    CHECK(error_of(write_yaml("deep.yaml", "name: x\n"), {"name=" + deep}) ==
          "--set name=" + deep + ": name: the name is 4019 bytes long; at most 3584 fit in a run folder's path (PATH_MAX is "
          "4096 bytes, and the runs folder, trial id and file names need the rest): shorten the name");
    CHECK(error_of(write_yaml("n255.yaml", "name: " + std::string(255, 'b') + "/" + std::string(255, 'c') + "\n")) == "(no error)");
}

TEST_CASE("a model this machine's memory cannot hold is refused with the keys and the estimate", "[config][refusals]") {
    const uint64_t physical = physical_memory_bytes();
    REQUIRE(physical > 0);
    const std::string machine = fmt::format("this machine has {:.1f} GiB of memory", double(physical) / (1024.0 * 1024 * 1024));
    // preset small: d 256, 4 layers, 4 heads, d_ff 1024, seq_len 128; vocab 10^6, batch 10^5. By hand:
    //   parameters 10^6 x 256 (embedding) + 10^6 x 256 (head) + 128 x 256 + 4 x (4 x 256^2 + 2 x 256 x 1024) = 515178496,
    //   AdamW state 16 bytes each = 7.68 GiB;
    //   activations 4 x 10^5 x 128 x (256 + 4 x 256 + 1024 + 4 x 128) floats = 537.11 GiB;
    //   logits 2 x 10^5 x 128 x 10^6 floats = 95367.43 GiB; in all 95912.22 GiB.
    check_rows({
        {"model:\n  vocab: 1000000\ntrain:\n  batch: 100000\n", {},
         "{f}:4:3: train.batch: training needs at least 95912.2 GiB, but " + machine +
             " (parameters, gradients and optimizer state 7.7 GiB for 515178496 parameters; activations of train.batch x "
             "model.seq_len x width x model.layers 537.1 GiB; logits of train.batch x model.seq_len x model.vocab 95367.4 GiB; "
             "a lower bound, docs/config.md): lower train.batch, model.seq_len or model.vocab"},
    });
    // Parameters dominate: the blame goes to the model's size.
    const std::string big = error_of(write_yaml("big.yaml", "model:\n  d_model: 2000000\n  heads: 1\n  d_ff: 1\n  vocab: 2\n"
                                                            "train:\n  batch: 1\neval:\n  batch: 1\n"));
    CHECK_THAT(big, Catch::StartsWith(test_dir().string() + "/big.yaml:2:3: model.d_model: training needs at least "));
    CHECK_THAT(big, Catch::Contains(machine) && Catch::EndsWith(": lower model.d_model, model.layers, model.d_ff or model.vocab"));
    // Evaluation batches hold logits too.
    const std::string eval = error_of(write_yaml("eval.yaml", "model:\n  vocab: 1000000\neval:\n  batch: 10000000\n"));
    CHECK_THAT(eval, Catch::StartsWith(test_dir().string() + "/eval.yaml:4:3: eval.batch: evaluation needs at least "));
    CHECK_THAT(eval, Catch::EndsWith("docs/config.md): lower eval.batch"));
    // The shipped quickstart is far below any machine's memory.
    CHECK(error_of(std::string(ALTUP_SOURCE_DIR) + "/experiments/configs/quickstart.yaml") == "(no error)");
}

TEST_CASE("YAML the library misreads or words in its own terms gets file:line and plain words", "[config][refusals]") {
    check_rows({
        // The top level must be a mapping.
        {"- model\n- train\n", {}, "{f}:1:1: expected a mapping with sections model, data, train, eval, finetune, got \"a list\""},
        {"3\n", {}, "{f}:1:1: expected a mapping with sections model, data, train, eval, finetune, got \"3\""},
        {"", {}, "{f}: the config is empty"},
        {"# only a comment\n", {}, "{f}: the config is empty"},
        // Tabs: the library says "illegal map value" one line off, or nothing at all.
        {"model:\n\tpreset: tiny\n", {}, "{f}:2:1: a tab in the indentation; YAML indents with spaces only (replace the tab with spaces)"},
        {"model:\n  preset: tiny\n  \tlayers: 2\n", {},
         "{f}:3:3: a tab in the indentation; YAML indents with spaces only (replace the tab with spaces)"},
        // A key given twice: the library keeps both.
        {"model:\n  preset: tiny\ntrain:\n  steps: 5\nmodel:\n  layers: 2\n", {},
         "{f}:5:1: model: duplicate key (first set at line 1, column 1); keep one of the two"},
        {"model:\n  altup:\n    k: 2\n    k: 3\n", {}, "{f}:4:5: model.altup.k: duplicate key (first set at line 3, column 5); keep one of the two"},
        // An unclosed quote: the library lets the value run to the end of the file.
        {"name: 'quick\nseed: 2\n", {},
         "{f}:1:7: name: the quote ' opened here is never closed: the value would take in everything after "
         "it (close the quote)"},
        {"model:\n  preset: \"tiny\n  layers: 2\n", {},
         "{f}:2:11: model.preset: the quote \" opened here is never closed: the value would take in everything "
         "after it (close the quote)"},
        // The library's parse errors, in plain words.
        {"model:\n  heads: 4\n   d_ff: 3\n", {},
         "{f}:3:8: a ':' the YAML reader cannot place: a key indented deeper than the keys beside it, or a value containing "
         "': ' (indent keys of one section alike, or quote the value)"},
        {"model: {preset: tiny\n", {}, "{f}:2:1: a '{' that is never closed by '}'"},
        {"train:\n  lr: [1, 2\n", {}, "{f}:3:1: a '[' that is never closed by ']'"},
        {"name: \"a\\qb\"\n", {},
         "{f}:1:11: an unknown backslash escape in a double-quoted value (write \\\\ for a backslash, or use single quotes)"},
        // Sections and keys on the command line.
        {"model:\n  preset: tiny\n", {"model=3"},
         "--set model=3: model: a section, not a key: set one of its keys instead, e.g. --set model.preset=VALUE (its keys: "
         "model.preset, model.vocab, model.d_model, ...; docs/config.md lists them all)"},
        {"model:\n  preset: tiny\n", {"model.altup=2"},
         "--set model.altup=2: model.altup: a section, not a key: set one of its keys instead, e.g. --set model.altup.k=VALUE "
         "(its keys: model.altup.k, model.altup.recycled, model.altup.selection, ...; docs/config.md lists them all)"},
        {"model:\n  preset: tiny\n", {"model.nonexistent=1"}, "--set model.nonexistent=1: model.nonexistent: unknown key"},
        {"model:\n  preset: tiny\n", {"name='quick"},
         "--set name='quick: name: cannot read the value \"'quick\": a quoted value is never closed: close its quote"},
        {"model:\n  preset: tiny\n", {"train.lr=[1, 2"}, "--set train.lr=[1, 2: train.lr: cannot read the value \"[1, 2\": a '[' that is never closed by ']'"},
    });
}
