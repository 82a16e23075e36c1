// Fine-tuning: the tag map against the real corpus, the splits, hand-worked
// examples and scores, exact weight loading, and a tiny pretrain -> fine-tune
// run whose tagger must beat the majority-tag baseline.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <map>
#include <set>

#include <nlohmann/json.hpp>

#include "tests/support/folder_snapshot.hpp"
#include "util/result_file.hpp"
#include "experiments/config/config_io.hpp"
#include "experiments/data/corpus.hpp"
#include "experiments/data/dataset.hpp"
#include "experiments/data/split.hpp"
#include "experiments/finetune/finetune.hpp"
#include "experiments/finetune/pretrained.hpp"
#include "experiments/finetune/task_metrics.hpp"
#include "experiments/finetune/tasks.hpp"
#include "experiments/trial/run_folder.hpp"
#include "experiments/trial/safetensors.hpp"
#include "experiments/trainer/train_command.hpp"
#include "experiments/trainer/trainer.hpp"
#include "layers/model.hpp"

using namespace altup;
namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {
fs::path scratch(const std::string& name) {
    fs::path p = fs::temp_directory_path() / ("altup-test-ft-" + name + "-" + std::to_string(::getpid()));
    fs::remove_all(p);
    fs::create_directories(p);
    return p;
}

std::string cache_root() {
    const char* env = std::getenv("ALTUP_DATA_DIR");
    return env && *env ? env : "data-cache";
}

const std::vector<Document>& brown() {
    static const std::vector<Document> docs = load_brown(ensure_brown_corpus(cache_root(), true));
    return docs;
}

std::string tag_name(const std::string& brown_tag) {
    const auto u = universal_tag(brown_tag);
    return u ? universal_tags()[*u] : "<none>";
}

// A tiny Brown config with the byte tokenizer (no tokenizer to train).
Config tiny_brown(int steps) {
    Config c;
    c.name = "ft-test";
    c.seed = 3;
    apply_preset("tiny", c.model);
    c.model.vocab = 256;
    c.model.seq_len = 64;
    c.data.tokenizer = TokenizerKind::bytes;
    c.data.cache_dir = cache_root();
    c.train.steps = steps;
    c.train.batch = 16;
    c.train.lr = 3e-3;
    c.train.warmup = 10;
    c.train.checkpoint_every = 0;
    c.eval.every = 0;
    c.eval.batches = 4;
    return c;
}
}  // namespace

TEST_CASE("the universal tag map: hand-checked tags and every tag of the real corpus", "[finetune][brown]") {
    CHECK(universal_tags().size() == 12);
    CHECK(tag_name("nn") == "NOUN");
    CHECK(tag_name("nn-tl") == "NOUN");      // title marker
    CHECK(tag_name("nns$-tl-hl") == "NOUN"); // possessive plural in a headline title
    CHECK(tag_name("ppss+md") == "PRON");    // "I'll": the first part's tag
    CHECK(tag_name("dod*") == "VERB");       // "didn't"
    CHECK(tag_name("*") == "ADV");           // "not"
    CHECK(tag_name("pp$$") == "PRON");       // "mine"
    CHECK(tag_name("fw-at") == "X");         // foreign words
    CHECK(tag_name("--") == ".");
    CHECK(tag_name("---hl") == ".");
    CHECK(tag_name("``") == ".");
    CHECK(tag_name("cs") == "ADP");
    CHECK(tag_name("cc") == "CONJ");
    CHECK(tag_name("to") == "PRT");
    CHECK(tag_name("cd-tl") == "NUM");
    CHECK(tag_name("abn") == "DET");
    CHECK(tag_name("xyz") == "<none>");
    CHECK(tag_name("") == "<none>");

    std::map<std::string, int64_t> tags;
    for (const auto& d : brown())
        for (const auto& para : d.paragraphs)
            for (const auto& s : para)
                for (const auto& w : s) ++tags[w.tag];
    REQUIRE(tags.size() > 400);  // Brown has ~470 distinct compound tags
    std::vector<int64_t> per_class(12, 0);
    for (const auto& [tag, n] : tags) {
        INFO("Brown tag '" << tag << "' (" << n << " words)");
        const auto u = universal_tag(tag);
        REQUIRE(u.has_value());
        per_class[*u] += n;
    }
    // Every universal tag occurs, and nouns are the most frequent class.
    for (int c = 0; c < 12; ++c) CHECK(per_class[c] > 0);
    CHECK(std::max_element(per_class.begin(), per_class.end()) - per_class.begin() == 0);
}

TEST_CASE("genre classes: 15 genres and the 4 coarse groups with Brown's document counts", "[finetune][brown]") {
    std::map<int, int> fine, coarse;
    for (const auto& d : brown()) {
        ++fine[genre_class(d.genre, FinetuneTask::genre)];
        ++coarse[genre_class(d.genre, FinetuneTask::genre4)];
    }
    CHECK(fine.size() == 15);
    CHECK(genre_class_names(FinetuneTask::genre).size() == 15);
    CHECK(genre_class_names(FinetuneTask::genre4) == std::vector<std::string>{"press", "general prose", "learned", "fiction"});
    // A-C 44+27+17, D-H 17+36+48+75+30, J 80, K-R 29+24+6+29+29+9.
    CHECK(coarse == std::map<int, int>{{0, 88}, {1, 206}, {2, 80}, {3, 126}});
    CHECK_THROWS(genre_class('z', FinetuneTask::genre));
}

TEST_CASE("fine-tuning splits use only documents pretraining did not train on", "[finetune][brown]") {
    const auto& docs = brown();
    const std::vector<Split> pre = split_documents(docs, 0.05, 0.05);
    const FinetuneSplit ft = finetune_split(unseen_in_pretraining(docs, true, 0.05, 0.05), 0.25, 0.25);
    std::set<std::string> held_out, seen;
    for (size_t i = 0; i < docs.size(); ++i)
        if (pre[i] != Split::train) held_out.insert(docs[i].id);
    std::map<char, int> train_per_genre, held_per_genre;
    for (const auto* part : {&ft.train, &ft.valid, &ft.test})
        for (const Document* d : *part) {
            CHECK(held_out.count(d->id) == 1);  // never a pretraining training document
            CHECK(seen.insert(d->id).second);   // and in one fine-tuning split only
            ++held_per_genre[d->genre];
        }
    CHECK(seen == held_out);
    for (const Document* d : ft.train) ++train_per_genre[d->genre];
    for (const auto& [genre, n] : held_per_genre) {
        INFO("genre " << genre << " with " << n << " held-out documents");
        if (n >= 2) CHECK(train_per_genre[genre] >= 1);
    }
    CHECK_FALSE(ft.valid.empty());
    CHECK_FALSE(ft.test.empty());
    // Deterministic.
    const FinetuneSplit again = finetune_split(unseen_in_pretraining(docs, true, 0.05, 0.05), 0.25, 0.25);
    CHECK(again.train == ft.train);
    CHECK(again.test == ft.test);
}

TEST_CASE("a model pretrained on another corpus fine-tunes on every Brown document, split per genre", "[finetune][brown]") {
    const auto& docs = brown();
    const std::vector<const Document*> unseen = unseen_in_pretraining(docs, false, 0.05, 0.05);
    CHECK(unseen.size() == 500);
    const FinetuneSplit ft = finetune_split(unseen, 0.25, 0.25);
    std::set<std::string> seen;
    std::map<char, int> n, test, valid;
    for (const auto& d : docs) ++n[d.genre];
    for (const auto* part : {&ft.train, &ft.valid, &ft.test})
        for (const Document* d : *part) CHECK(seen.insert(d->id).second);
    CHECK(seen.size() == 500);
    for (const Document* d : ft.test) ++test[d->genre];
    for (const Document* d : ft.valid) ++valid[d->genre];
    // Every genre has at least 6 documents, so the shares are round(n / 4) each:
    // press reportage (A, 44) 11 + 11 + 22, humour (R, 9) 2 + 2 + 5.
    CHECK(n.size() == 15);
    for (const auto& [genre, count] : n) {
        INFO("genre " << genre << " with " << count << " documents");
        CHECK(test[genre] == std::lround(count * 0.25));
        CHECK(valid[genre] == std::lround(count * 0.25));
    }
    CHECK(test['a'] == 11);
    CHECK(test['r'] == 2);
    CHECK(ft.train.size() + ft.valid.size() + ft.test.size() == 500);
}

TEST_CASE("tagging examples: labels at each word's last token, windows padded, empty windows dropped", "[finetune]") {
    // "The/at dog/nn ran/vbd ./." with the byte tokenizer: "The dog ran . "
    Document d;
    d.id = "ca99";
    d.genre = 'a';
    d.paragraphs = {{parse_tagged_sentence("The/at dog/nn ran/vbd ./.")}};
    const auto tok = make_byte_tokenizer();
    const TaskExamples ex = build_task_examples(FinetuneTask::pos, {&d}, *tok, 8);
    // Bytes: T h e _ d o g _ | r a n _ . _  + pad pad
    REQUIRE(ex.count() == 2);
    const std::vector<int32_t> ids = {'T', 'h', 'e', ' ', 'd', 'o', 'g', ' ', 'r', 'a', 'n', ' ', '.', ' ',
                                      tok->end_of_document(), tok->end_of_document()};
    CHECK(ex.ids == ids);
    const int32_t DET = 5, NOUN = 0, VERB = 1, PUNCT = 10, _ = -100;
    const std::vector<int32_t> labels = {_, _, DET, _, _, _, NOUN, _, _, _, VERB, _, PUNCT, _, _, _};
    CHECK(ex.labels == labels);
    CHECK(ex.words == std::vector<std::string>{"The", "dog", "ran", "."});
    CHECK(ex.labelled() == 4);

    // Genre: only full windows; each is labelled with the document's class.
    const TaskExamples g = build_task_examples(FinetuneTask::genre4, {&d}, *tok, 4);
    CHECK(g.count() == 3);  // 14 bytes -> 3 full windows of 4
    CHECK(g.labels == std::vector<int32_t>{0, 0, 0});
}

TEST_CASE("scores: accuracy, macro-F1 and the baselines on hand-worked examples", "[finetune]") {
    // gold 0 0 1 2, pred 0 1 1 1: class 0 F1 = 2/3, class 1 = 2*1/(2+2+0) = 1/2, class 2 = 0.
    const ClassificationScores s = score_predictions({0, 0, 1, 2}, {0, 1, 1, 1}, 4);
    CHECK(s.accuracy == Approx(0.5));
    CHECK(s.macro_f1 == Approx((2.0 / 3.0 + 0.5 + 0.0) / 3.0));
    CHECK(s.count == 4);
    CHECK(majority_class({2, 1, 2, -100, 1, 2}, 3) == 2);
    CHECK(majority_class({1, 0}, 2) == 0);  // ties: the smaller index
    const auto pred = word_majority_predictions({"run", "run", "run", "dog"}, {1, 0, 1, 0}, {"run", "dog", "cat"}, 2);
    CHECK(pred == std::vector<int32_t>{1, 0, 0});  // unseen "cat": the overall majority (a 2-2 tie -> 0)
}

TEST_CASE("a fine-tune starts from exactly the saved weights", "[finetune]") {
    const fs::path dir = scratch("weights");
    Config c = tiny_brown(1);
    LanguageModel saved(c.model, 11);
    // Make the weights unlike any initialisation: a seeded perturbation.
    Rng rng(5);
    Tensor data = saved.params().data();
    for (int64_t i = 0; i < data.numel(); ++i) data.data()[i] += float(rng.uniform_int(1000)) * 1e-4f;
    std::vector<NamedTensor> tensors;
    for (const auto& p : saved.params().params()) tensors.push_back({p.name, p.var->value});
    write_safetensors((dir / "ckpt.safetensors").string(), tensors, {{"trial_id", "0123456789ab"}});

    LanguageModel loaded(c.model, 12);
    load_pretrained_weights(loaded, (dir / "ckpt.safetensors").string());
    const Tensor& a = saved.params().data();
    const Tensor& b = loaded.params().data();
    REQUIRE(a.numel() == b.numel());
    int64_t differing = 0;
    for (int64_t i = 0; i < a.numel(); ++i) differing += a.data()[i] != b.data()[i];
    CHECK(differing == 0);

    // Another architecture is refused, naming the parameter.
    Config wide = c;
    wide.model.d_model = 64;
    wide.model.heads = 2;
    LanguageModel other(wide.model, 1);
    try {
        load_pretrained_weights(other, (dir / "ckpt.safetensors").string());
        FAIL("expected an error");
    } catch (const std::runtime_error& e) {
        CHECK(std::string(e.what()).find("embed.") != std::string::npos);
    }
    fs::remove_all(dir);
}

TEST_CASE("finetune.from: clear errors for what cannot be a pretrained model", "[finetune]") {
    const fs::path dir = scratch("from");
    Config c = tiny_brown(1);
    c.finetune.task = FinetuneTask::pos;
    c.finetune.from = "pretrain";
    CHECK_THROWS_WITH(resolve_pretrained(c, "", "runs"), Catch::Contains("names the pretraining trial of a sweep"));
    c.finetune.from = "nowhere/at/all";
    CHECK_THROWS_WITH(resolve_pretrained(c, "", "runs"), Catch::Contains("expected \"pretrain\", an existing trial folder"));
    c.finetune.from = dir.string();
    CHECK_THROWS_WITH(resolve_pretrained(c, "", "runs"), Catch::Contains("no checkpoint"));
    c.finetune.from = "0123456789ab";
    CHECK_THROWS_WITH(resolve_pretrained(c, "", dir.string()), Catch::Contains("no trial folder 0123456789ab"));
    std::ofstream(dir / "result.json") << R"({"status": "diverged"})";
    c.finetune.from = dir.string();
    CHECK_THROWS_WITH(resolve_pretrained(c, "", "runs"), Catch::Contains("is diverged, not completed"));
    fs::remove_all(dir);
}

TEST_CASE("pretrain then fine-tune: the tagger beats the majority tag, head-only keeps the body, resume is exact",
          "[finetune][brown]") {
    const fs::path dir = scratch("e2e");
    const Config pre = tiny_brown(80);
    TrainOptions po;
    po.run_dir = (dir / "pre").string();
    po.quiet = true;
    REQUIRE(run_trial(pre, po) == kCompleted);
    const json pre_result = json::parse(std::ifstream(dir / "pre" / "result.json"));

    Config ft = pre;
    ft.finetune.task = FinetuneTask::pos;
    ft.finetune.from = "pretrain";
    ft.finetune.steps = 40;
    ft.finetune.batch = 8;
    ft.finetune.lr = 2e-3;
    ft.finetune.warmup = 5;
    ft.finetune.eval_every = 0;
    TrainOptions fo;
    fo.run_dir = (dir / "ft").string();
    fo.quiet = true;
    fo.pretrained_dir = (dir / "pre").string();
    REQUIRE(run_finetune(ft, fo) == kCompleted);
    const json r = json::parse(std::ifstream(dir / "ft" / "result.json"));
    CHECK(r["status"] == "completed");
    CHECK(read_result_file((dir / "pre" / "result.json").string()).says("completed"));  // both hold the schema sweeps and analysis check
    {
        const ResultFile checked = read_result_file((dir / "ft" / "result.json").string());
        INFO(checked.problem);
        CHECK(checked.says("completed"));
    }
    CHECK(r["stage"] == "finetune");
    CHECK(r["pretrain"]["trial_id"] == pre_result["trial_id"]);
    CHECK(r["quality"] == pre_result["quality"]);  // the model's pretraining numbers travel with it
    CHECK(r["speed"] == pre_result["speed"]);
    const json& d = r["downstream"];
    CHECK(d["task"] == "pos");
    CHECK(d["classes"] == 12);
    CHECK(d["steps_done"] == 40);
    CHECK(d["documents"]["pool"] == "held_out");
    const double acc = d["accuracy"], majority = d["majority_accuracy"];
    INFO("tagging accuracy " << acc << " vs majority-tag baseline " << majority);
    CHECK(majority > 0.15);
    CHECK(majority < 0.4);
    CHECK(acc > majority + 0.1);
    CHECK(d["test"]["accuracy"].get<double>() > d["test"]["majority_accuracy"].get<double>());
    CHECK(d["macro_f1"].get<double>() > 0);

    // Head only: every model weight stays exactly the pretrained one.
    Config head = ft;
    head.finetune.train = FinetuneTrain::head;
    head.finetune.steps = 10;
    fo.run_dir = (dir / "head").string();
    REQUIRE(run_finetune(head, fo) == kCompleted);
    const SafetensorsFile before = read_safetensors((dir / "pre" / "ckpt.safetensors").string());
    const SafetensorsFile after = read_safetensors((dir / "head" / "ckpt.safetensors").string());
    int64_t changed = 0, compared = 0;
    for (const auto& [name, t] : before.tensors) {
        if (name.rfind("optimizer.", 0) == 0) continue;
        const Tensor& u = after.tensors.at(name);
        for (int64_t i = 0; i < t.numel(); ++i) changed += t.data()[i] != u.data()[i];
        compared += t.numel();
    }
    CHECK(compared > 0);
    CHECK(changed == 0);
    CHECK(after.tensors.count("task_head.weight") == 1);

    // Interrupted after 4 steps and resumed: the same numbers as straight through.
    Config short_ft = ft;
    short_ft.finetune.steps = 8;
    fo.run_dir = (dir / "straight").string();
    REQUIRE(run_finetune(short_ft, fo) == kCompleted);
    TrainOptions io = fo;
    io.run_dir = (dir / "resumed").string();
    io.stop_after_step = 4;
    REQUIRE(run_finetune(short_ft, io) == kInterruptedTerm);
    io.stop_after_step = -1;
    io.resume = true;
    REQUIRE(run_finetune(short_ft, io) == kCompleted);
    const json a = json::parse(std::ifstream(dir / "straight" / "result.json"));
    const json b = json::parse(std::ifstream(dir / "resumed" / "result.json"));
    CHECK(a["downstream"]["loss"] == b["downstream"]["loss"]);
    CHECK(a["downstream"]["accuracy"] == b["downstream"]["accuracy"]);
    CHECK(a["downstream"]["test"] == b["downstream"]["test"]);
    fs::remove_all(dir);
}


TEST_CASE("finetune.from overlapping the destination is refused before writing, and so is a corrupt pretrained checkpoint",
          "[finetune][run-folder][brown]") {
    const fs::path dir = scratch("overlap");
    const Config pre = tiny_brown(2);
    TrainOptions po;
    po.run_dir = (dir / "pre").string();
    po.quiet = true;
    REQUIRE(run_trial(pre, po) == kCompleted);
    const auto before = altup_test::folder_snapshot(dir / "pre");

    Config ft = pre;
    ft.finetune.task = FinetuneTask::pos;
    ft.finetune.steps = 2;
    ft.finetune.batch = 4;
    ft.finetune.eval_every = 0;
    TrainOptions fo;
    fo.quiet = true;
    // The pretraining folder itself, its checkpoint file, and a folder inside it.
    const std::vector<std::pair<std::string, fs::path>> cases = {
        {(dir / "pre").string(), dir / "pre"},
        {(dir / "pre" / "ckpt.safetensors").string(), dir / "pre"},
        {(dir / "pre").string(), dir / "pre" / "ft"},
        {(dir / "pre" / ".").string(), dir / "pre"},
    };
    for (const auto& [from, dest] : cases) {
        INFO("finetune.from = " << from << ", run dir " << dest);
        ft.finetune.from = from;
        fo.run_dir = dest.string();
        for (bool resume : {false, true}) {
            fo.resume = resume;
            CHECK(run_finetune(ft, fo) == kBadConfig);
            CHECK(altup_test::folder_snapshot(dir / "pre") == before);  // byte for byte, and nothing added
        }
        CHECK_THROWS_AS(check_run_folder(dest.string(), config_id(ft), {from}), RunFolderRefused);
        CHECK_THROWS_WITH(check_run_folder(dest.string(), config_id(ft), {from}),
                          Catch::Contains(dest.string()) && Catch::Contains("use another --run-dir or move it away"));
    }
    // A sibling folder is fine.
    ft.finetune.from = (dir / "pre").string();
    CHECK_NOTHROW(check_run_folder((dir / "ft").string(), config_id(ft), {ft.finetune.from}));

    // One flipped byte in the pretrained weights: refused when the fine-tune loads them.
    const fs::path ckpt = dir / "pre" / "ckpt.safetensors";
    {
        std::fstream f(ckpt, std::ios::in | std::ios::out | std::ios::binary);
        f.seekg(-3, std::ios::end);  // inside the last tensor's data
        char c = 0;
        f.read(&c, 1);
        c = char(c ^ 0x01);
        f.seekp(-3, std::ios::end);
        f.write(&c, 1);
    }
    CHECK_THROWS_AS(resolve_pretrained(ft, "", "runs"), CorruptCheckpoint);
    CHECK_THROWS_WITH(resolve_pretrained(ft, "", "runs"),
                      Catch::Contains("corrupt checkpoint " + ckpt.string()) && Catch::Contains("delete it to restart the trial"));
    fo.run_dir = (dir / "ft").string();
    fo.resume = false;
    CHECK(run_finetune(ft, fo) == kFailed);
    fs::remove_all(dir);
}

namespace {
// `altup train ARGS...` in this process; its exit code and what it printed on stdout.
std::pair<int, std::string> train_cli(std::vector<std::string> args) {
    args.insert(args.begin(), "train");
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    std::ostringstream printed;
    std::streambuf* saved = std::cout.rdbuf(printed.rdbuf());
    const int code = train_command(static_cast<int>(argv.size()), argv.data());
    std::cout.rdbuf(saved);
    return {code, printed.str()};
}
}  // namespace

TEST_CASE("a fine-tune config that leaves model/data out takes them from its pretraining trial, and a bad from is a config error",
          "[finetune][cli]") {
    const fs::path dir = scratch("inherit");
    Config pre = tiny_brown(2);
    pre.model.d_model = 48;  // not the tiny preset's: only the pretraining trial knows it
    pre.model.heads = 2;
    TrainOptions po;
    po.run_dir = (dir / "pre").string();
    po.quiet = true;
    REQUIRE(run_trial(pre, po) == kCompleted);

    const std::string ft_file = (dir / "ft.yaml").string();
    std::ofstream(ft_file) << "name: ft\nfinetune: {task: genre4, from: " << (dir / "pre").string() << ", steps: 2}\n";
    const auto [code, printed] = train_cli({ft_file, "--print-config", "--out", (dir / "runs").string()});
    REQUIRE(code == 0);
    std::ofstream(dir / "resolved.yaml") << printed;
    const Config resolved = load_config((dir / "resolved.yaml").string());
    const Config theirs = load_config((dir / "pre" / "config.yaml").string());
    CHECK(to_json(resolved)["model"] == to_json(theirs)["model"]);
    CHECK(resolved.model.d_model == 48);
    CHECK(resolved.data.tokenizer == TokenizerKind::bytes);
    CHECK(resolved.data.corpus == theirs.data.corpus);
    CHECK(resolved.finetune.task == FinetuneTask::genre4);
    // A key the fine-tune config does write wins, and a contradiction is refused before anything is written.
    const auto [clash, out] = train_cli({ft_file, "--set", "model.d_model=64", "--out", (dir / "runs").string()});
    CHECK(clash == 2);
    CHECK_FALSE(fs::exists(dir / "runs"));

    // A finetune.from that names nothing: exit 2, no trial folder.
    const auto [bad, nothing] = train_cli({ft_file, "--set", "finetune.from=" + (dir / "typo").string(), "--out", (dir / "runs").string()});
    CHECK(bad == 2);
    CHECK_FALSE(fs::exists(dir / "runs"));
    fs::remove_all(dir);
}

TEST_CASE("pretrained on a text corpus, a fine-tune draws its splits from every Brown document", "[finetune][brown]") {
    const fs::path dir = scratch("other-corpus");
    {
        // 60 documents of a few sentences: no Brown text, so Brown is unseen.
        std::ofstream text(dir / "corpus.txt");
        for (int d = 0; d < 60; ++d) {
            for (int s = 0; s < 12; ++s)
                text << "document " << d << " says that the river " << (s % 2 ? "rose" : "fell") << " by " << s * d
                     << " feet in the night.\n";
            text << "\n";
        }
    }
    Config pre = tiny_brown(4);
    pre.data.corpus = CorpusKind::text;
    pre.data.path = (dir / "corpus.txt").string();
    TrainOptions po;
    po.run_dir = (dir / "pre").string();
    po.quiet = true;
    REQUIRE(run_trial(pre, po) == kCompleted);
    Config ft = pre;
    ft.finetune.task = FinetuneTask::genre4;
    ft.finetune.from = (dir / "pre").string();
    ft.finetune.steps = 2;
    ft.finetune.batch = 4;
    ft.finetune.eval_every = 0;
    ft.finetune.split_valid = 0.02;
    ft.finetune.split_test = 0.02;
    TrainOptions fo;
    fo.run_dir = (dir / "ft").string();
    fo.quiet = true;
    REQUIRE(run_finetune(ft, fo) == kCompleted);
    const json r = json::parse(std::ifstream(dir / "ft" / "result.json"));
    const json& docs = r["downstream"]["documents"];
    // Per genre max(1, round(n * 0.02)): 1 each, 2 for G (75) and J (80), so
    // 17 + 17 of Brown's 500 documents, where a Brown pretraining would have had 50 to share.
    CHECK(docs["pool"] == "all");
    CHECK(docs["valid"] == 17);
    CHECK(docs["test"] == 17);
    CHECK(docs["train"] == 466);
    fs::remove_all(dir);
}

TEST_CASE("a quiet fine-tune with progress_every_s logs plain progress lines, and none without it", "[finetune][brown]") {
    const fs::path dir = scratch("quiet-progress");
    const Config pre = tiny_brown(2);
    TrainOptions po;
    po.run_dir = (dir / "pre").string();
    po.quiet = true;
    REQUIRE(run_trial(pre, po) == kCompleted);
    Config ft = pre;
    ft.finetune.task = FinetuneTask::pos;
    ft.finetune.from = (dir / "pre").string();
    ft.finetune.steps = 20;
    ft.finetune.batch = 4;
    ft.finetune.eval_every = 0;
    ft.train.log_every = 10;
    auto run_and_capture = [&](const std::string& name, double every) {
        TrainOptions o;
        o.run_dir = (dir / name).string();
        o.quiet = true;
        o.progress_every_s = every;
        std::ostringstream captured;
        std::streambuf* old = std::cerr.rdbuf(captured.rdbuf());
        const int code = run_finetune(ft, o);
        std::cerr.rdbuf(old);
        REQUIRE(code == kCompleted);
        return captured.str();
    };
    const std::string every = run_and_capture("every", 1e-9);
    for (int step : {10, 20}) CHECK_THAT(every, Catch::Contains("fine-tune step " + std::to_string(step) + "/20  loss "));
    CHECK(every.find('\r') == std::string::npos);
    CHECK(run_and_capture("silent", 0).find("fine-tune step") == std::string::npos);
    fs::remove_all(dir);
}
