// Every sweep-level mistake is an error that names file, line, column and key.
#include <catch2/catch.hpp>

#include "sweep_test_support.hpp"
#include "sweeps/sweep_command.hpp"

using namespace altup;
using sweep_test::expand_text;

namespace {

const std::string kBase = "base: {model: {preset: tiny, altup: {k: 1}}, train: {steps: 10, lr: 0.001}, seed: 1}\n";
const std::string kHead = "name: e\n" + kBase;  // lines 1-2; a case's own lines start at 3

struct ErrorCase {
    const char* what;
    std::string text;
    std::string where;                  // "sweep.yaml:L:C", or "" when the message has no position
    std::vector<std::string> mentions;  // substrings of the message
};

std::string error_of(const std::string& text) {
    try {
        expand_text(text);
    } catch (const SweepError& e) {
        return e.what();
    }
    return "(no error)";
}

}  // namespace

TEST_CASE("sweep-level errors name file, line, column, key and the problem", "[errors]") {
    const std::vector<ErrorCase> cases = {
        {"unknown axis key", kHead + "grid:\n  model.altup.kk: [1, 2]\n", "sweep.yaml:4:3:",
         {"key 'model.altup.kk'", "not a config key"}},
        {"empty list", kHead + "grid:\n  train.lr: []\n", "sweep.yaml:4:3:", {"key 'train.lr'", "empty list"}},
        {"grid value that is not a list", kHead + "grid: {train.lr: 1e-3}\n", "sweep.yaml:3:8:", {"key 'train.lr'", "expected a list"}},
        {"duplicate variant", kHead + "variants:\n  a: {}\n  a: {model.altup.k: 2}\n", "sweep.yaml:5:3:",
         {"key 'variants.a'", "duplicate variant"}},
        {"badly named variant", kHead + "variants: {'a b': {}}\n", "sweep.yaml:3:12:", {"variant names use"}},
        {"zip lists of unequal length", kHead + "zip:\n  model.preset: [tiny, small]\n  train.lr: [1e-3]\n", "sweep.yaml:5:3:",
         {"key 'train.lr'", "equal lengths", "has 1 values", "has 2"}},
        {"zip that is not a mapping", kHead + "zip: 3\n", "sweep.yaml:3:6:", {"key 'zip'"}},
        {"grid key also set by a variant", kHead + "grid:\n  model.altup.k: [1, 2]\nvariants:\n  k4: {model.altup.k: 4}\n",
         "sweep.yaml:6:8:", {"key 'model.altup.k'", "set by both grid (sweep.yaml:4:3) and variants"}},
        {"zip key also in the grid", kHead + "grid: {train.lr: [1e-3]}\nzip: {train.lr: [1e-3, 2e-3], model.preset: [tiny, small]}\n",
         "sweep.yaml:4:7:", {"key 'train.lr'", "set by both grid"}},
        {"set key also in the grid", kHead + "set: {train.lr: 1e-3}\ngrid: {train.lr: [1e-3]}\n", "sweep.yaml:4:8:",
         {"key 'train.lr'", "set by both set"}},
        {"seed in the grid and seeds", kHead + "grid: {seed: [1, 2]}\nseeds: 2\n", "sweep.yaml:4:1:", {"key 'seed'", "set by both grid"}},
        {"unknown top-level key", kHead + "grdi: {}\n", "sweep.yaml:3:1:", {"key 'grdi'", "unknown sweep key", "did you mean 'grid'"}},
        {"top-level key given twice", kHead + "seeds: 1\nseeds: 2\n", "sweep.yaml:4:1:", {"key 'seeds'", "given twice"}},
        {"missing name", kBase + "seeds: 2\n", "sweep.yaml:1:1:", {"key 'name'", "missing"}},
        {"missing base", "name: e\nseeds: 2\n", "sweep.yaml:1:1:", {"key 'base'", "missing"}},
        {"name that is no folder name", "name: a/b\n" + kBase, "sweep.yaml:1:7:", {"key 'name'", "not a folder name"}},
        {"unreadable base file", "name: e\nbase: no-such-config.yaml\n", "sweep.yaml:2:7:", {"key 'base'", "cannot read the base config"}},
        {"zero seeds", kHead + "seeds: 0\n", "sweep.yaml:3:8:", {"key 'seeds'", "between 1 and"}},
        {"empty seed list", kHead + "seeds: []\n", "sweep.yaml:3:8:", {"key 'seeds'", "empty list"}},
        {"a seed twice", kHead + "seeds: [1, 1]\n", "sweep.yaml:3:12:", {"key 'seeds'", "seed 1 given twice"}},
        {"seed that is not a number", kHead + "seeds: [one]\n", "sweep.yaml:3:9:", {"key 'seeds'", "non-negative integers"}},
        {"exclude on a key that is no axis", kHead + "grid: {model.altup.k: [1, 2]}\nexclude: [{train.lr: 1e-3}]\n",
         "sweep.yaml:4:12:", {"key 'train.lr'", "not an axis", "model.altup.k"}},
        {"exclude naming an unknown variant", kHead + "variants: {a: {}}\nexclude: [{variant: b}]\n", "sweep.yaml:4:12:",
         {"key 'variant'", "no variant named 'b'"}},
        {"exclude that is not a list", kHead + "exclude: {variant: a}\n", "sweep.yaml:3:10:", {"key 'exclude'", "expected a list"}},
        {"include contradicting its variant", kHead + "variants: {k2: {model.altup.k: 2}}\ninclude: [{variant: k2, model.altup.k: 4}]\n",
         "sweep.yaml:4:25:", {"key 'model.altup.k'", "set by both variant 'k2'"}},
        {"include with an unknown key", kHead + "include: [{model.altup.kk: 4}]\n", "sweep.yaml:3:12:", {"key 'model.altup.kk'", "not a config key"}},
        {"a key given twice in one variant", kHead + "variants: {a: {model.altup.k: 2, model: {altup: {k: 3}}}}\n", "sweep.yaml:3:",
         {"key 'model.altup.k'", "given twice"}},
        {"two variants with the same config", kHead + "variants: {baseline: {}, k1: {model.altup.k: 1}}\n", "",
         {"sweep.yaml", "'variant=baseline seed=1' and 'variant=k1 seed=1'", "same config"}},
        {"a value the config rejects", kHead + "variants: {bad: {model.altup.k: many}}\n", "sweep.yaml:3:18:",
         {"key 'model.altup.k' (in variant 'bad')", "trial variant=bad"}},
        {"a grid value the config rejects", kHead + "grid: {train.lr: [1e-3, -1]}\n", "sweep.yaml:3:25:",
         {"key 'train.lr' (in grid)", "(trial train.lr=-1)"}},
        {"a base value that no longer fits a variant",
         "name: e\nbase: {model: {preset: tiny, altup: {output: concat}}}\nvariants: {r: {model.altup.k: 2, model.altup.recycled: true}}\n",
         "sweep.yaml:2:46:", {"key 'model.altup.output' (in the base config)", "trial variant=r"}},
        {"not a mapping", "- a\n- b\n", "sweep.yaml:1:1:", {"must be a mapping"}},
    };
    for (const auto& c : cases) {
        INFO("case: " << c.what);
        const std::string message = error_of(c.text);
        INFO("message: " << message);
        if (!c.where.empty()) CHECK(message.rfind(c.where, 0) == 0);
        for (const auto& m : c.mentions) CHECK_THAT(message, Catch::Contains(m));
    }
}

TEST_CASE("a YAML syntax error in the sweep file names its position", "[errors]") {
    sweep_test::TempDir dir;
    sweep_test::write_text(dir / "broken.yaml", "name: b\ngrid: {train.lr: [1e-3, 2e-3}\n");
    try {
        load_sweep(dir / "broken.yaml");
        FAIL("no error");
    } catch (const SweepError& e) {
        CHECK(std::string(e.what()) == dir / "broken.yaml:2:29: a '}' or ']' without the '{' or '[' that opens it");
    }
    CHECK_THROWS_WITH(load_sweep(dir / "absent.yaml"), Catch::Contains("cannot read the sweep file"));
}

TEST_CASE("a base config path is relative to the sweep file", "[errors]") {
    sweep_test::TempDir dir;
    sweep_test::write_text(dir / "configs/base.yaml", "model: {preset: tiny}\ntrain: {steps: 5}\n");
    sweep_test::write_text(dir / "sweeps/s.yaml", "name: rel\nbase: ../configs/base.yaml\nseeds: 2\n");
    const auto e = expand_sweep(load_sweep(dir / "sweeps/s.yaml"));
    REQUIRE(e.trials.size() == 2);
    CHECK(e.trials[0].config.train.steps == 5);
}

TEST_CASE("altup sweep exits 2 on a bad sweep file or bad options, and runs nothing", "[errors][cli]") {
    sweep_test::TempDir dir;
    sweep_test::write_text(dir / "bad.yaml", kHead + "grid: {train.lr: []}\n");
    const std::string file = dir / "bad.yaml";
    const std::string out = dir / "runs";
    auto run = [](std::vector<std::string> args) {
        std::vector<char*> argv;
        for (auto& a : args) argv.push_back(a.data());
        return sweep_command(static_cast<int>(argv.size()), argv.data());
    };
    CHECK(run({"sweep", file, "--out", out}) == 2);
    CHECK_FALSE(std::filesystem::exists(out));
    CHECK(run({"sweep"}) == 2);
    CHECK(run({"sweep", file, "--jobs", "0"}) == 2);
    CHECK(run({"sweep", file, "--frobnicate"}) == 2);
    CHECK(run({"sweep", file, "--launcher", "slurm"}) == 2);
}

namespace {
// The whole message of loading (and expanding) a sweep file written with `text`.
std::string file_error_of(const std::string& path, const std::string& text) {
    sweep_test::write_text(path, text);
    try {
        expand_sweep(load_sweep(path));
    } catch (const SweepError& e) {
        return e.what();
    }
    return "(no error)";
}
}  // namespace

TEST_CASE("YAML problems in a sweep file or its base config get file:line and plain words", "[errors]") {
    sweep_test::TempDir dir;
    const std::string f = dir / "s.yaml", base = dir / "base.yaml";
    const std::string tab = "a tab in the indentation; YAML indents with spaces only (replace the tab with spaces)";
    CHECK(file_error_of(f, "name: t\nbase:\n\tmodel: {preset: tiny}\n") == f + ":3:1: " + tab);
    // A key given twice: the YAML library keeps both, the sweep would take one of them.
    CHECK(file_error_of(f, "name: d\nbase: {model: {preset: tiny}}\ngrid:\n  train.lr: [1e-3]\n  train.lr: [2e-3]\n") ==
          f + ":5:3: key 'grid.train.lr': duplicate key (first set at line 4, column 3); keep one of the two");
    CHECK(file_error_of(f, "name: d\nbase: {model: {preset: tiny, preset: small}}\n") ==
          f + ":2:30: key 'base.model.preset': duplicate key (first set at line 2, column 16); keep one of the two");
    CHECK(file_error_of(f, "name: 'q\nbase: {model: {preset: tiny}}\n") ==
          f + ":1:7: key 'name': the quote ' opened here is never closed: the value would take in everything after it (close the quote)");
    CHECK(file_error_of(f, "name: b\nbase: {model: {preset: tiny}\n") == f + ":3:1: a '{' that is never closed by '}'");
    CHECK(file_error_of(f, "- a\n- b\n") == f + ":1:1: a sweep file must be a mapping (name, base, grid, ...)");
    CHECK(file_error_of(f, "3\n") == f + ":1:1: a sweep file must be a mapping (name, base, grid, ...)");
    CHECK(file_error_of(f, "") == f + ": empty sweep file; expected a mapping with name, base and axes");
    CHECK(file_error_of(f, "name: a\n---\nname: b\n") == f + ":3:1: expected one YAML document, found 2 (the second starts here)");
    // The base config file is read the same way; the message names both files.
    sweep_test::write_text(base, "model:\n\tpreset: tiny\n");
    CHECK(file_error_of(f, "name: b\nbase: base.yaml\n") ==
          f + ":2:7: key 'base': cannot use the base config: " + base + ":2:1: " + tab);
    sweep_test::write_text(base, "");
    CHECK(file_error_of(f, "name: b\nbase: base.yaml\n") ==
          f + ":2:7: key 'base': the base config '" + base + "' must hold one YAML document, it holds 0");
}

TEST_CASE("a sweep trial that cannot mean what it says is refused at the sweep file's line", "[errors]") {
    // AltUp's selection on a K = 1 variant: the trial would be the baseline, recorded as "same".
    const std::string inert = error_of(kHead + "variants:\n  a: {model.altup.selection: same}\n");
    CHECK(inert == "sweep.yaml:4:7: key 'model.altup.selection' (in variant 'a'): \"same\" has no effect: AltUp is off at "
                   "model.altup.k = 1; set model.altup.k >= 2 to use it, or remove "
                   "model.altup.selection (trial variant=a)");
    // A batch no memory holds, from a grid value.
    const std::string memory = error_of("name: m\nbase: {model: {preset: tiny, vocab: 100000}}\ngrid:\n  train.batch: [16, 100000]\n");
    CHECK_THAT(memory, Catch::StartsWith("sweep.yaml:4:21: key 'train.batch' (in grid): training needs at least ") &&
                           Catch::EndsWith("lower train.batch, model.seq_len or model.vocab (trial train.batch=100000)"));
    // The sweep's name is its folder: at most NAME_MAX bytes.
    CHECK(error_of("name: " + std::string(300, 'n') + "\n" + kBase) ==
          "sweep.yaml:1:7: key 'name': the name is 300 bytes long, but it names the sweep's folder and a folder name can "
          "have at most 255 (the file system's NAME_MAX): shorten it");
}
