// `altup bench SWEEP.yaml | RUNS_DIR [options]`: argument parsing, finding the
// trials, exit codes. The plan is in bench_plan.cpp, the timing in bench_run.cpp.
#include "bench/sweep/bench_command.hpp"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>
#include <yaml-cpp/yaml.h>

#include "analysis/result_loader.hpp"
#include "bench/sweep/bench_plan.hpp"
#include "bench/sweep/bench_run.hpp"
#include "experiments/config/config_io.hpp"
#include "sweeps/command_line_sets.hpp"
#include "sweeps/sweep_expansion.hpp"
#include "sweeps/sweep_runner.hpp"
#include "util/atomic_file.hpp"
#include "util/command_line.hpp"

namespace altup {
namespace {
namespace fs = std::filesystem;

const char* const kUsage =
    "usage: altup bench SWEEP.yaml | RUNS_DIR [--rounds N] [--steps-per-round S] [--warmup W] [--threads T]\n"
    "                   [--only ID]... [--baseline VARIANT | --baseline-id ID] [--out DIR] [--set KEY=VALUE]...\n"
    "                   [--dry-run]\n"
    "\n"
    "Times the training step of each speed configuration of a sweep (model, batch, sequence length, dtype,\n"
    "optimizer, threads) in one process, in interleaved rounds, each relative to its baseline in the same\n"
    "round, and writes DIR/<sweep>/bench/<speed id>.json, which `altup analyze` then uses for its speed\n"
    "columns (docs/bench.md). With RUNS_DIR: the pretraining trials whose result.json is found there.\n"
    "\n"
    "  --rounds N            timed rounds (default 10)\n"
    "  --steps-per-round S   steps of each config per round, their median kept (default 3)\n"
    "  --warmup W            untimed steps of each config first (default 3)\n"
    "  --threads T           threads of every config (default: train.threads, else the trial's recorded\n"
    "                        env.threads, else this process's cores)\n"
    "  --only ID             only this speed configuration (and its baseline); repeatable\n"
    "  --baseline VARIANT    configs are relative to the trials labelled variant=VARIANT with the same\n"
    "                        other labels (default baseline; without one, relative to the first config)\n"
    "  --baseline-id ID      every config relative to this speed configuration\n"
    "  --out DIR             runs folder of a sweep file (default runs); bench files go to DIR/<sweep>/bench/\n"
    "  --set K=V             with a sweep file: the override `altup sweep --set K=V` ran its trials with\n"
    "  --dry-run             list the speed configurations and their trials; time nothing\n"
    "\n"
    "exit code: 0 measured (or listed), 1 the measurement failed, 2 bad arguments, sweep or runs folder.\n";

struct Arguments {
    std::string source;  // a sweep file or a runs folder
    InterleavedOptions timing;
    int threads = 0;
    std::vector<std::string> only;
    std::vector<std::string> sets;  // --set KEY=VALUE on a sweep file, as `altup sweep --set`
    BaselineChoice baseline;
    std::optional<std::string> out;
    bool dry_run = false;
};

// Returns nullopt after --help.
std::optional<Arguments> parse_arguments(int argc, char** argv) {
    Arguments args;
    bool baseline_variant = false;
    for (ArgumentCursor cursor(argc, argv); cursor.next();) {
        const std::string option = cursor.option();
        auto value = [&] { return cursor.non_empty_value(); };
        if (option == "-h" || option == "--help") return std::nullopt;
        else if (option == "--rounds") args.timing.rounds = parse_count(option, value(), 1);
        else if (option == "--steps-per-round") args.timing.steps_per_round = parse_count(option, value(), 1);
        else if (option == "--warmup") args.timing.warmup = parse_count(option, value(), 0);
        else if (option == "--threads") args.threads = parse_count(option, value(), 1);
        else if (option == "--only") args.only.push_back(value());
        else if (option == "--set") args.sets.push_back(value());
        else if (option == "--baseline") args.baseline.variant = value(), baseline_variant = true;
        else if (option == "--baseline-id") args.baseline.id = value();
        else if (option == "--out") args.out = value();
        else if (option == "--dry-run") args.dry_run = true;
        else if (option.rfind("-", 0) == 0 && option.size() > 1) throw UsageError(fmt::format("unknown option '{}'", option));
        else if (args.source.empty()) args.source = option;
        else throw UsageError(fmt::format("one sweep file or runs folder at a time (got '{}' and '{}')", args.source, option));
    }
    if (args.source.empty()) throw UsageError("no sweep file or runs folder given");
    if (baseline_variant && !args.baseline.id.empty()) throw UsageError("--baseline and --baseline-id are exclusive");
    if (!args.sets.empty() && fs::is_directory(args.source))
        throw UsageError("--set applies to a sweep file; a runs folder's trials already hold their configs");
    return args;
}

// The threads a trial's steps ran (or will run) on: train.threads when set,
// else what its result.json recorded, else this process's cores.
int trial_threads(const Config& config, const std::string& result_path) {
    if (config.train.threads > 0) return config.train.threads;
    std::ifstream in(result_path);
    if (in) {
        const nlohmann::json r = nlohmann::json::parse(in, nullptr, false);
        if (r.is_object() && r.contains("env") && r["env"].is_object() && r["env"].value("threads", 0) > 0)
            return r["env"]["threads"].get<int>();
    }
    return available_cores();
}

std::vector<BenchTrial> trials_of_sweep(const Arguments& args) {
    SweepSpec spec = load_sweep(args.source);
    apply_command_line_sets(spec, args.sets);
    const SweepExpansion sweep = expand_sweep(spec);
    const std::string runs = args.out.value_or("runs");
    const std::string sweep_dir = (fs::path(runs) / sweep.spec.name).string();
    std::vector<BenchTrial> out;
    for (const Trial& t : sweep.trials) {
        if (t.config.finetuning()) continue;  // a fine-tune step is not a pretraining step
        const std::string result = (fs::path(sweep_dir) / t.id / "result.json").string();
        out.push_back({t.id, sweep_dir, t.labels, t.config, args.threads > 0 ? args.threads : trial_threads(t.config, result)});
    }
    return out;
}

std::vector<BenchTrial> trials_of_runs(const Arguments& args) {
    if (args.out) throw UsageError("--out is for a sweep file: with a runs folder the figures go next to its results");
    const LoadedResults loaded = load_results(args.source);
    std::vector<BenchTrial> out;
    for (const TrialResult& t : loaded.trials) {
        if (t.stage != "pretrain") continue;
        std::ifstream in(t.path);
        const nlohmann::json r = nlohmann::json::parse(in, nullptr, false);
        if (!r.is_object() || !r.contains("config") || !r["config"].is_object())
            throw ConfigError(t.path + ": no resolved 'config' object to build the model from");
        const Config config = parse_config(YAML::Load(r["config"].dump()), t.path + " (config)");
        const std::string sweep_dir = fs::path(t.path).parent_path().parent_path().string();
        out.push_back({t.trial_id, sweep_dir, t.labels, config, args.threads > 0 ? args.threads : trial_threads(config, t.path)});
    }
    if (out.empty()) throw UsageError(fmt::format("{}: no completed pretraining trial (result.json) found", args.source));
    return out;
}

void print_plan(const std::vector<BenchConfig>& plan) {
    for (const BenchConfig& c : plan) {
        fmt::print("{}  {} trial(s), {} threads, relative to {}  {}\n", c.id, c.trial_ids.size(), c.threads,
                   plan[c.baseline].id, cost_labels_text(c.labels.front()));
    }
    fmt::print("{} speed configuration(s)\n", plan.size());
}

}  // namespace

int bench_command(int argc, char** argv) {
    Arguments args;
    if (const auto stop = read_arguments("altup bench", kUsage, parse_arguments, argc, argv, args)) return *stop;
    std::vector<BenchConfig> plan;
    try {
        if (!fs::exists(args.source)) throw UsageError(fmt::format("{}: no such sweep file or runs folder", args.source));
        const std::vector<BenchTrial> trials = fs::is_directory(args.source) ? trials_of_runs(args) : trials_of_sweep(args);
        if (trials.empty()) throw UsageError(fmt::format("{}: no pretraining trial to time", args.source));
        plan = select_configs(plan_bench(trials, args.baseline), args.only);
    } catch (const std::exception& e) {
        fmt::print(stderr, "altup bench: error: {}\n", e.what());
        return kExitUsage;
    }
    if (args.dry_run) {
        print_plan(plan);
        return 0;
    }
    try {
        const std::vector<BenchFigures> figures = run_bench(plan, args.timing, stderr);
        for (std::size_t c = 0; c < plan.size(); ++c) {
            const std::string path = bench_file_path(plan[c]);
            fs::create_directories(fs::path(path).parent_path());
            write_file_atomically(path, bench_record(plan, c, figures[c], args.timing).dump(2) + "\n");
        }
        fmt::print("{}", bench_table(plan, figures));
        std::set<std::string> folders;
        for (const BenchConfig& c : plan) folders.insert(fs::path(bench_file_path(c)).parent_path().string());
        fmt::print("wrote {} bench file(s) to {}\n", plan.size(), fmt::join(folders, ", "));
        return 0;
    } catch (const std::exception& e) {
        fmt::print(stderr, "altup bench: failed: {}\n", e.what());
        return 1;
    }
}

}  // namespace altup
