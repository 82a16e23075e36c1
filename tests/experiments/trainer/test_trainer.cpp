// The trainer end to end on small real data: bit-exact resume, result files,
// divergence handling, and a real learning check on the Brown corpus.
#include <catch2/catch.hpp>

#include <cmath>
#include <csignal>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "tests/support/folder_snapshot.hpp"
#include "util/result_file.hpp"
#include "experiments/config/config_io.hpp"
#include "experiments/data/dataset.hpp"
#include "experiments/trial/run_folder.hpp"
#include "experiments/trial/safetensors.hpp"
#include "experiments/trainer/train_command.hpp"
#include "experiments/trainer/trainer.hpp"

using namespace altup;
namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {
fs::path scratch(const std::string& name) {
    fs::path p = fs::temp_directory_path() / ("altup-test-" + name + "-" + std::to_string(::getpid()));
    fs::remove_all(p);
    fs::create_directories(p);
    return p;
}

// A small deterministic plain-text corpus: documents separated by blank lines.
std::string write_text_corpus(const fs::path& dir) {
    const char* words[] = {"the", "cat", "sat", "on", "a", "mat", "and", "dog", "ran", "to", "red", "house", "with", "blue", "door"};
    Rng rng(3);
    std::ostringstream text;
    for (int doc = 0; doc < 60; ++doc) {
        for (int s = 0; s < 6; ++s) {
            for (int w = 0; w < 9; ++w) text << words[rng.uniform_int(15)] << (w < 8 ? " " : ".\n");
        }
        text << "\n";
    }
    const std::string path = (dir / "corpus.txt").string();
    std::ofstream(path) << text.str();
    return path;
}

Config tiny_text_config(const fs::path& dir, int steps) {
    Config c;
    c.name = "resume-test";
    c.seed = 4;
    apply_preset("tiny", c.model);
    c.model.vocab = 256;
    c.model.d_model = 32;
    c.model.heads = 2;
    c.model.d_ff = 64;
    c.model.seq_len = 16;
    c.model.altup.k = 2;
    c.data.corpus = CorpusKind::text;
    c.data.path = write_text_corpus(dir);
    c.data.tokenizer = TokenizerKind::bytes;
    c.data.cache_dir = (dir / "cache").string();
    c.train.steps = steps;
    c.train.batch = 4;
    c.train.warmup = 3;
    c.train.checkpoint_every = 0;
    c.train.log_every = 1;
    c.eval.every = 10;
    c.eval.batches = 2;
    c.eval.batch = 4;
    return c;
}

std::map<int64_t, double> train_losses(const fs::path& run) {
    std::map<int64_t, double> out;
    std::ifstream in(run / "metrics.jsonl");
    std::string line;
    while (std::getline(in, line)) {
        const json j = json::parse(line);
        if (j["kind"] == "train") out[j["step"]] = j["loss"];
    }
    return out;
}
}  // namespace

namespace {
// Trains cfg straight through into dir/straight, and into dir/resumed stopped
// after `stop_after` steps and resumed; checks every logged loss is the same bit
// for bit (no step logged twice, none lost).
void check_resume_is_exact(const Config& cfg, const fs::path& dir, int stop_after) {
    TrainOptions straight;
    straight.run_dir = (dir / "straight").string();
    straight.quiet = true;
    REQUIRE(run_trial(cfg, straight) == kCompleted);

    TrainOptions first = straight;
    first.run_dir = (dir / "resumed").string();
    first.stop_after_step = stop_after;
    REQUIRE(run_trial(cfg, first) == kInterruptedTerm);
    CHECK(json::parse(std::ifstream(dir / "resumed" / "result.json"))["status"] == "running");
    CHECK(read_result_file((dir / "resumed" / "result.json").string()).says("running"));  // what the trainer writes holds the schema
    TrainOptions second = first;
    second.stop_after_step = -1;
    second.resume = true;
    REQUIRE(run_trial(cfg, second) == kCompleted);

    const auto a = train_losses(dir / "straight"), b = train_losses(dir / "resumed");
    REQUIRE(int64_t(a.size()) == cfg.train.steps);
    REQUIRE(int64_t(b.size()) == cfg.train.steps);
    for (const auto& [step, loss] : a) {
        INFO("step " << step);
        CHECK(b.at(step) == loss);  // bit-exact
    }
}
}  // namespace

TEST_CASE("an interrupted and resumed run gives the same losses as an uninterrupted one", "[trainer]") {
    const fs::path dir = scratch("resume");
    const Config cfg = tiny_text_config(dir, 30);
    check_resume_is_exact(cfg, dir, 13);
    const json ra = json::parse(std::ifstream(dir / "straight" / "result.json"));
    const json rb = json::parse(std::ifstream(dir / "resumed" / "result.json"));
    CHECK(ra["quality"]["eval_loss"] == rb["quality"]["eval_loss"]);
    CHECK(ra["status"] == "completed");
    for (const char* run : {"straight", "resumed"}) {
        const ResultFile checked = read_result_file((dir / run / "result.json").string());
        INFO(checked.problem);
        CHECK(checked.says("completed"));  // the schema sweeps and analysis check is the trainer's
    }
    CHECK(ra["trial_id"] == config_id(cfg));
    CHECK(ra["params"]["altup_scalars"] == 2 * (4 + 2));
    CHECK(ra["quality"]["curve"].size() == 3);  // steps 10, 20, 30
    CHECK(ra["speed"]["ms_per_step"]["median"].get<double>() > 0);
    fs::remove_all(dir);
}

TEST_CASE("bf16 with MoE experts: an interrupted and resumed run gives the same losses bit for bit", "[trainer][bf16]") {
    // bf16 products run on oneDNN's gemm-based kernels, and the experts' varying
    // token counts on run-time-sized primitives: resuming must not change a bit.
    const fs::path dir = scratch("resume-bf16");
    Config cfg = tiny_text_config(dir, 20);
    cfg.train.dtype = Precision::bf16;
    cfg.model.moe.experts = 2;
    check_resume_is_exact(cfg, dir, 9);
    // and bf16 really differs from f32 on this run (the precision was applied)
    Config f32 = cfg;
    f32.train.dtype = Precision::f32;
    TrainOptions o;
    o.run_dir = (dir / "f32").string();
    o.quiet = true;
    REQUIRE(run_trial(f32, o) == kCompleted);
    CHECK(train_losses(dir / "f32").at(20) != train_losses(dir / "straight").at(20));
    fs::remove_all(dir);
}

TEST_CASE("checkpoints are safetensors files with the documented parameter names", "[trainer]") {
    const fs::path dir = scratch("ckpt");
    const Config cfg = tiny_text_config(dir, 3);
    TrainOptions o;
    o.run_dir = (dir / "run").string();
    o.quiet = true;
    REQUIRE(run_trial(cfg, o) == kCompleted);
    const SafetensorsFile f = read_safetensors((dir / "run" / "ckpt.safetensors").string());
    CHECK(f.tensors.count("embed.tok"));
    CHECK(f.tensors.at("embed.tok").shape() == Shape{256, 64});  // K*d wide
    CHECK(f.tensors.count("blocks.1.altup.predict"));
    CHECK(f.tensors.count("blocks.0.attn.q.weight"));
    CHECK(f.tensors.count("head.weight"));
    CHECK(f.metadata.at("trial_id") == config_id(cfg));
    fs::remove_all(dir);
}

namespace {
TrainOptions quiet_in(const fs::path& run) {
    TrainOptions o;
    o.run_dir = run.string();
    o.quiet = true;
    return o;
}

std::set<std::string> checkpoint_files(const fs::path& run) {
    std::set<std::string> out;
    for (const auto& e : fs::directory_iterator(run))
        if (e.path().extension() == ".safetensors") out.insert(e.path().filename().string());
    return out;
}
}  // namespace

TEST_CASE("train.checkpoint: final keeps one weights-only file, all keeps every checkpoint, none keeps nothing",
          "[trainer][checkpoint]") {
    const fs::path dir = scratch("policy");
    Config cfg = tiny_text_config(dir, 9);
    cfg.train.checkpoint_every = 3;
    std::map<std::string, fs::path> runs;
    for (CheckpointKeep keep : {CheckpointKeep::final, CheckpointKeep::all, CheckpointKeep::none}) {
        const std::string policy = to_string(keep);
        cfg.train.checkpoint = keep;
        runs[policy] = dir / policy;
        REQUIRE(run_trial(cfg, quiet_in(runs[policy])) == kCompleted);
    }
    // The same trial, whatever the folder keeps.
    CHECK(json::parse(std::ifstream(runs["final"] / "result.json"))["trial_id"] ==
          json::parse(std::ifstream(runs["none"] / "result.json"))["trial_id"]);

    CHECK(checkpoint_files(runs["final"]) == std::set<std::string>{"ckpt.safetensors"});
    const SafetensorsFile weights = read_safetensors((runs["final"] / "ckpt.safetensors").string());
    CHECK(weights.metadata.at("contents") == "final weights");
    CHECK(weights.metadata.at("step") == "9");
    for (const auto& [name, t] : weights.tensors) CHECK(name.rfind("optimizer.", 0) == std::string::npos);

    CHECK(checkpoint_files(runs["all"]) ==
          std::set<std::string>{"ckpt.safetensors", "ckpt-step-3.safetensors", "ckpt-step-6.safetensors"});
    const SafetensorsFile last = read_safetensors((runs["all"] / "ckpt.safetensors").string());
    CHECK(last.tensors.count("optimizer.adamw.m"));
    // Final weights are the last resumable checkpoint's, without its optimizer state (AdamW: m and v).
    for (const auto& [name, t] : weights.tensors) {
        REQUIRE(last.tensors.count(name));
        CHECK(last.tensors.at(name).to_vector() == t.to_vector());
    }
    const SafetensorsFile at3 = read_safetensors((runs["all"] / "ckpt-step-3.safetensors").string());
    CHECK(json::parse(at3.metadata.at("state"))["step"] == 3);
    CHECK(fs::file_size(runs["final"] / "ckpt.safetensors") < fs::file_size(runs["all"] / "ckpt.safetensors") / 2);

    CHECK(checkpoint_files(runs["none"]).empty());
    // A weights-only file is no state to resume from: said plainly.
    fs::remove(runs["final"] / "result.json");
    TrainOptions again = quiet_in(runs["final"]);
    again.resume = true;
    CHECK(run_trial(cfg, again) == kFailed);
    CHECK_THAT(json::parse(std::ifstream(runs["final"] / "result.json"))["message"].get<std::string>(),
               Catch::Contains("holds the final weights of a completed trial"));
    fs::remove_all(dir);
}

TEST_CASE("a diverging run stops and says so", "[trainer]") {
    const fs::path dir = scratch("diverge");
    Config cfg = tiny_text_config(dir, 50);
    cfg.train.lr = 1e30;   // the first update blows the weights up
    cfg.train.warmup = 0;
    cfg.train.clip = 0;
    TrainOptions o;
    o.run_dir = (dir / "run").string();
    o.quiet = true;
    REQUIRE(run_trial(cfg, o) == kDiverged);
    const json r = json::parse(std::ifstream(dir / "run" / "result.json"));
    CHECK(r["status"] == "diverged");
    CHECK(r["diverged_at_step"].get<int>() >= 1);
    CHECK(r["diverged_at_step"].get<int>() < 50);
    fs::remove_all(dir);
}

TEST_CASE("a tiny model on Brown beats the corpus's unigram entropy", "[trainer][brown]") {
    // The unigram entropy is what a model that ignores context can reach at
    // best; falling below it within 150 steps shows that the model learns to use context.
    const fs::path dir = scratch("learn");
    Config c;
    c.name = "learning-check";
    c.seed = 1;
    apply_preset("tiny", c.model);
    c.model.vocab = 256;
    c.model.seq_len = 64;
    c.data.tokenizer = TokenizerKind::bytes;
    if (const char* cache = std::getenv("ALTUP_DATA_DIR")) c.data.cache_dir = cache;
    c.train.steps = 150;
    c.train.batch = 16;
    c.train.lr = 3e-3;
    c.train.warmup = 10;
    c.train.checkpoint_every = 0;
    c.eval.every = 0;
    c.eval.batches = 10;
    TokenSplits data = prepare_token_splits(c.data, c.model.vocab, true);
    std::vector<double> counts(256, 0.0);
    for (int32_t t : data.train) counts[t] += 1;
    double entropy = 0;
    for (double n : counts)
        if (n > 0) entropy -= n / double(data.train.size()) * std::log(n / double(data.train.size()));
    TrainOptions o;
    o.run_dir = (dir / "run").string();
    o.quiet = true;
    REQUIRE(run_trial(c, o) == kCompleted);
    const json r = json::parse(std::ifstream(dir / "run" / "result.json"));
    const double loss = r["quality"]["eval_loss"];
    INFO("validation loss " << loss << " nats vs unigram entropy " << entropy << " nats");
    CHECK(loss < entropy);
    fs::remove_all(dir);
}

namespace {

// The byte offset in the file of tensor `name`'s first data byte (read from
// the header independently of read_safetensors).
uint64_t tensor_data_offset(const fs::path& file, const std::string& name) {
    std::ifstream in(file, std::ios::binary);
    unsigned char len[8];
    in.read(reinterpret_cast<char*>(len), 8);
    uint64_t n = 0;
    for (int i = 0; i < 8; ++i) n |= uint64_t(len[i]) << (8 * i);
    std::string header(n, '\0');
    in.read(header.data(), std::streamsize(n));
    return 8 + n + json::parse(header).at(name).at("data_offsets").at(0).get<uint64_t>();
}

void flip_byte(const fs::path& file, uint64_t offset) {
    std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
    f.seekg(std::streamoff(offset));
    char c = 0;
    f.read(&c, 1);
    c = char(c ^ 0x10);
    f.seekp(std::streamoff(offset));
    f.write(&c, 1);
}

}  // namespace

TEST_CASE("a run folder holding another trial's files is refused before anything is written", "[trainer][run-folder]") {
    const fs::path dir = scratch("foreign");
    const Config mine = tiny_text_config(dir, 4);
    Config other = mine;
    other.seed = 5;  // another trial
    REQUIRE(config_id(other) != config_id(mine));
    const fs::path theirs = dir / "theirs";
    REQUIRE(run_trial(other, quiet_in(theirs)) == kCompleted);
    const auto before = altup_test::folder_snapshot(theirs);
    REQUIRE(before.count("result.json"));
    REQUIRE(before.count("ckpt.safetensors"));

    TrainOptions o = quiet_in(theirs);
    CHECK(run_trial(mine, o) == kBadConfig);
    CHECK(altup_test::folder_snapshot(theirs) == before);
    o.resume = true;
    CHECK(run_trial(mine, o) == kBadConfig);
    CHECK(altup_test::folder_snapshot(theirs) == before);

    // The message names the folder, whose trial it holds and the fix.
    CHECK_THROWS_AS(check_run_folder(theirs.string(), config_id(mine)), RunFolderRefused);
    CHECK_THROWS_WITH(check_run_folder(theirs.string(), config_id(mine)),
                         Catch::Matchers::Contains(theirs.string()) && Catch::Matchers::Contains(config_id(other)) &&
                             Catch::Matchers::Contains("use another --run-dir or move it away"));
    // Each of the three files alone identifies the owner.
    for (const char* name : {"result.json", "config.yaml", "ckpt.safetensors"}) {
        INFO(name);
        const fs::path alone = dir / (std::string("alone-") + name);
        fs::create_directories(alone);
        fs::copy_file(theirs / name, alone / name);
        CHECK_THROWS_WITH(check_run_folder(alone.string(), config_id(mine)),
                          Catch::Contains(config_id(other)) && Catch::Contains(std::string("its ") + name));
        CHECK_NOTHROW(check_run_folder(alone.string(), config_id(other)));
    }
    // A file that does not say whose it is is not trusted either.
    const fs::path anonymous = dir / "anonymous";
    fs::create_directories(anonymous);
    std::ofstream(anonymous / "result.json") << R"({"status": "completed"})";
    CHECK_THROWS_WITH(check_run_folder(anonymous.string(), config_id(mine)), Catch::Contains("names no trial_id"));
    // Its own folder, an empty one and a missing one are fine.
    CHECK_NOTHROW(check_run_folder(theirs.string(), config_id(other)));
    CHECK_NOTHROW(check_run_folder((dir / "nowhere").string(), config_id(mine)));
    fs::create_directories(dir / "empty");
    CHECK_NOTHROW(check_run_folder((dir / "empty").string(), config_id(mine)));
    fs::remove_all(dir);
}

TEST_CASE("a checkpoint with one flipped data byte is refused on resume, and a completed result is kept", "[trainer][checksum]") {
    const fs::path dir = scratch("corrupt");
    const Config cfg = tiny_text_config(dir, 6);

    // Interrupted: the checkpoint is what --resume would continue from.
    const fs::path run = dir / "interrupted";
    TrainOptions o = quiet_in(run);
    o.stop_after_step = 3;
    REQUIRE(run_trial(cfg, o) == kInterruptedTerm);
    const fs::path ckpt = run / "ckpt.safetensors";
    const auto size = fs::file_size(ckpt);
    flip_byte(ckpt, tensor_data_offset(ckpt, "head.weight") + 5);
    REQUIRE(fs::file_size(ckpt) == size);
    REQUIRE_NOTHROW(read_safetensors_metadata(ckpt.string()));  // still parses
    CHECK_THROWS_AS(read_safetensors(ckpt.string()), CorruptCheckpoint);
    CHECK_THROWS_WITH(read_safetensors(ckpt.string()),
                         Catch::Matchers::Contains("corrupt checkpoint " + ckpt.string()) &&
                             Catch::Matchers::Contains("tensor head.weight checksum") &&
                             Catch::Matchers::Contains("delete it to restart the trial"));
    const auto config_before = altup_test::folder_snapshot(run).at("config.yaml");
    o.stop_after_step = -1;
    o.resume = true;
    CHECK(run_trial(cfg, o) == kFailed);
    const json failed = json::parse(std::ifstream(run / "result.json"));
    CHECK(failed["status"] == "failed");
    CHECK(read_result_file((run / "result.json").string()).says("failed"));
    CHECK_THAT(failed["message"].get<std::string>(), Catch::Contains("corrupt checkpoint"));
    CHECK(altup_test::folder_snapshot(run).at("config.yaml") == config_before);

    // Completed: the failure must not replace the finished result.
    const fs::path done = dir / "completed";
    REQUIRE(run_trial(cfg, quiet_in(done)) == kCompleted);
    flip_byte(done / "ckpt.safetensors", tensor_data_offset(done / "ckpt.safetensors", "head.weight") + 1);
    const auto before = altup_test::folder_snapshot(done);
    TrainOptions r = quiet_in(done);
    r.resume = true;
    CHECK(run_trial(cfg, r) == kFailed);
    CHECK(altup_test::folder_snapshot(done) == before);
    fs::remove_all(dir);
}

TEST_CASE("a checkpoint written before checksums still resumes, bit for bit", "[trainer][checksum]") {
    const fs::path dir = scratch("old-ckpt");
    const Config cfg = tiny_text_config(dir, 8);
    REQUIRE(run_trial(cfg, quiet_in(dir / "straight")) == kCompleted);
    TrainOptions o = quiet_in(dir / "old");
    o.stop_after_step = 4;
    REQUIRE(run_trial(cfg, o) == kInterruptedTerm);

    // Rewrite the checkpoint the way older binaries wrote it: no "checksums" metadata.
    const fs::path ckpt = dir / "old" / "ckpt.safetensors";
    std::string bytes;
    {
        std::ifstream in(ckpt, std::ios::binary);
        bytes.assign(std::istreambuf_iterator<char>(in), {});
    }
    uint64_t n = 0;
    for (int i = 0; i < 8; ++i) n |= uint64_t(static_cast<unsigned char>(bytes[i])) << (8 * i);
    json header = json::parse(bytes.substr(8, n));
    REQUIRE(header["__metadata__"].contains("checksums"));
    header["__metadata__"].erase("checksums");
    std::string h = header.dump();
    h.append((8 - h.size() % 8) % 8, ' ');
    std::string out(8, '\0');
    for (int i = 0; i < 8; ++i) out[i] = char((uint64_t(h.size()) >> (8 * i)) & 0xff);
    out += h + bytes.substr(8 + n);
    std::ofstream(ckpt, std::ios::binary | std::ios::trunc) << out;
    const SafetensorsFile old = read_safetensors(ckpt.string());
    CHECK_FALSE(old.checksummed);

    o.stop_after_step = -1;
    o.resume = true;
    REQUIRE(run_trial(cfg, o) == kCompleted);
    const auto a = train_losses(dir / "straight"), b = train_losses(dir / "old");
    REQUIRE(a.size() == 8);
    CHECK(a == b);  // every step's loss, bit for bit
    CHECK(read_safetensors((dir / "old" / "ckpt.safetensors").string()).checksummed);  // rewritten with checksums
    fs::remove_all(dir);
}

TEST_CASE("a standalone trainer takes the trial's lock: refused while another process holds it, runs under an inherited one",
          "[trainer][lock]") {
    const fs::path dir = scratch("lock");
    const Config cfg = tiny_text_config(dir, 3);
    const fs::path run = dir / "run";
    fs::create_directories(run);
    const std::string lock_path = (run / ".lock").string();

    // Another process (a child holding flock on its own open of .lock, as a
    // second runner or trainer would) has the trial.
    int ready[2];
    REQUIRE(::pipe(ready) == 0);
    const pid_t child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0) {  // only async-signal-safe calls until killed
        const int fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT, 0644);
        const char ok = fd >= 0 && ::flock(fd, LOCK_EX) == 0 ? '1' : '0';
        (void)!::write(ready[1], &ok, 1);
        for (;;) ::pause();
    }
    char ok = 0;
    REQUIRE(::read(ready[0], &ok, 1) == 1);
    REQUIRE(ok == '1');
    const auto before = altup_test::folder_snapshot(run);
    CHECK(run_trial(cfg, quiet_in(run)) == kBadConfig);
    CHECK(altup_test::folder_snapshot(run) == before);  // nothing written
    CHECK_THROWS_WITH(lock_run_folder(run.string(), config_id(cfg)),
                      Catch::Contains("is already running there") && Catch::Contains(run.string()));
    ::kill(child, SIGKILL);
    ::waitpid(child, nullptr, 0);
    ::close(ready[0]);
    ::close(ready[1]);

    // This process holds it through its own descriptor, as a trainer started by
    // the sweep runner (or flock(1)) inherits it: the run goes ahead.
    TrialLock runner = TrialLock::try_acquire(run.string());
    REQUIRE(runner.held());
    CHECK(run_trial(cfg, quiet_in(run)) == kCompleted);
    CHECK(TrialLock::held_elsewhere(run.string()));  // still the "runner's"
    runner.release();

    // Alone, the trainer takes it for the run and lets go at the end.
    CHECK(run_trial(cfg, quiet_in(run)) == kCompleted);
    CHECK_FALSE(TrialLock::held_elsewhere(run.string()));
    fs::remove_all(dir);
}

TEST_CASE("a quiet trial with progress_every_s still logs plain progress lines, and none without it", "[trainer]") {
    const fs::path dir = scratch("quiet-progress");
    Config cfg = tiny_text_config(dir, 30);
    cfg.train.log_every = 10;
    auto run_and_capture = [&](const std::string& name, double every) {
        TrainOptions o;
        o.run_dir = (dir / name).string();
        o.quiet = true;
        o.progress_every_s = every;
        std::ostringstream captured;
        std::streambuf* old = std::cerr.rdbuf(captured.rdbuf());
        const int code = run_trial(cfg, o);
        std::cerr.rdbuf(old);
        REQUIRE(code == kCompleted);
        return captured.str();
    };
    // A tiny interval: every logged step (10, 20, 30) gets its line, each ending in a newline (no carriage returns).
    const std::string every = run_and_capture("every", 1e-9);
    for (int step : {10, 20, 30}) CHECK_THAT(every, Catch::Contains("step " + std::to_string(step) + "/30  loss "));
    CHECK(every.find('\r') == std::string::npos);
    CHECK(run_and_capture("silent", 0).find("step ") == std::string::npos);
    fs::remove_all(dir);
}

TEST_CASE("train --print-config prints the resolved config, defaults included, and runs nothing", "[trainer][cli]") {
    const fs::path dir = scratch("print-config");
    const std::string source = (dir / "c.yaml").string();
    std::ofstream(source) << "name: printed\nmodel: {preset: tiny}\ntrain: {steps: 30}\n";
    std::vector<std::string> args{"train", source, "--set", "train.lr=2.5e-3", "--print-config", "--out", (dir / "runs").string()};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    std::ostringstream printed;
    std::streambuf* saved = std::cout.rdbuf(printed.rdbuf());
    const int code = train_command(static_cast<int>(argv.size()), argv.data());
    std::cout.rdbuf(saved);
    REQUIRE(code == 0);
    CHECK_FALSE(fs::exists(dir / "runs"));
    // Read back, it is the same config as the file with the override: same id, every key explicit.
    const Config expected = load_config(source, {"train.lr=2.5e-3"});
    const std::string text = printed.str();
    CHECK_THAT(text, Catch::StartsWith("# " + source + " with --set, resolved; config id " + config_id(expected)));
    std::ofstream(dir / "printed.yaml") << text;
    CHECK(config_id(load_config((dir / "printed.yaml").string())) == config_id(expected));
    const YAML::Node tree = YAML::Load(text);
    CHECK(tree["train"]["lr"].as<double>() == 2.5e-3);
    CHECK(tree["train"]["steps"].as<int>() == 30);
    CHECK(tree["model"]["altup"]["k"].as<int>() == 1);       // a default the file never wrote
    CHECK(tree["model"]["d_model"].as<int>() == expected.model.d_model);  // from the preset
    fs::remove_all(dir);
}
