// `altup sweep FILE [--set KEY=VALUE]... [--dry-run | --status] [--jobs N] [--out DIR] [--threads T] [--retry-failed]
//  [--trainer CMD] [--bench]`
#include "sweeps/sweep_command.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <sstream>
#include <string>

#include <fmt/format.h>

#include "experiments/config/config_io.hpp"
#include "sweeps/command_line_sets.hpp"
#include "sweeps/sweep_expansion.hpp"
#include "sweeps/sweep_manifest.hpp"
#include "sweeps/sweep_eta.hpp"
#include "sweeps/sweep_report.hpp"
#include "sweeps/slurm_launcher.hpp"
#include "sweeps/sweep_runner.hpp"
#include "sweeps/trial_state.hpp"
#include "util/command_line.hpp"
#include "util/shell.hpp"

namespace altup {
namespace {

const char* const kUsage =
    "usage: altup sweep SWEEP.yaml [--set KEY=VALUE]... [--dry-run | --status] [--jobs N] [--out DIR] [--threads T]\n"
    "                   [--retry-failed] [--only KEY=VALUE]... [--launcher local|slurm] [--trainer \"PROGRAM ARGS\"]\n"
    "                   [--bench]\n"
    "\n"
    "Expands SWEEP.yaml into trials and runs the pending ones as `altup train` processes,\n"
    "N at a time, in DIR/<sweep name>/<trial id>/ (docs/sweeps.md).\n"
    "\n"
    "  --set K=V        override config key K in every trial (repeatable), like the file's set: section;\n"
    "                   changes the trials' ids as editing the file would (pass it to --status too)\n"
    "  --dry-run        print the trials (id, labels, overrides) and their count; run nothing\n"
    "  --status         report progress from the trials' result files; run nothing\n"
    "  --jobs N         trials at a time (default 1)\n"
    "  --out DIR        runs folder (default runs)\n"
    "  --threads T      threads per trial (default: cores / N)\n"
    "  --retry-failed   run failed and diverged trials again\n"
    "  --bench          then time the sweep's speed configurations with `altup bench` (docs/bench.md),\n"
    "                   on the threads each trial had\n"
    "  --only K=V       only the trials labelled K=V, e.g. --only model.preset=tiny (repeatable: all\n"
    "                   must match; a kept fine-tune trial keeps its pretraining trial)\n"
    "  --launcher L     local (default): processes on this machine; slurm: one sbatch job array\n"
    "                   of the pending trials, a second one after it for fine-tune trials whose\n"
    "                   pretraining trial is pending (prints the job ids; --dry-run the scripts)\n"
    "slurm options:\n"
    "  --partition P    --time T    --cpus-per-task C (default: --threads or 1)\n"
    "  --max-parallel M array throttle (%M)\n"
    "  --sbatch-arg A   an extra #SBATCH line, e.g. --sbatch-arg=--account=ml (repeatable)\n"
    "  --mpi-ranks R    run each trial as an MPI job of R ranks (srun), data parallel\n"
    "  --trainer CMD    run CMD instead of `altup train` (same arguments and protocol; local or slurm)\n"
    "\n"
    "exit code: 0 all trials completed, 1 some failed/diverged/not run, 2 bad sweep or usage,\n"
    "130 stopped by Ctrl-C/SIGTERM (run again to resume).\n";

struct Arguments {
    std::string file;
    bool dry_run = false;
    bool status = false;
    bool bench = false;  // run `altup bench` on the sweep after it
    std::string launcher = "local";
    std::vector<std::pair<std::string, std::string>> only;
    std::vector<std::string> sets;  // --set KEY=VALUE, in order
    RunnerOptions runner;
    SlurmOptions slurm;
};

std::vector<std::string> split_words(const std::string& text) {
    std::istringstream in(text);
    std::vector<std::string> words;
    for (std::string w; in >> w;) words.push_back(w);
    return words;
}

// Returns nullopt after printing help.
std::optional<Arguments> parse_arguments(int argc, char** argv) {
    Arguments args;
    for (ArgumentCursor cursor(argc, argv); cursor.next();) {
        const std::string option = cursor.option();
        auto value = [&] { return cursor.value(); };
        if (option == "-h" || option == "--help") return std::nullopt;
        else if (option == "--set") args.sets.push_back(value());
        else if (option == "--dry-run") args.dry_run = true;
        else if (option == "--status") args.status = true;
        else if (option == "--retry-failed") args.runner.retry_failed = true;
        else if (option == "--bench") args.bench = true;
        else if (option == "--jobs" || option == "-j") args.runner.jobs = parse_count(option, value(), 1);
        else if (option == "--threads") args.runner.threads = parse_count(option, value(), 1);
        else if (option == "--out") args.runner.out_dir = value();
        else if (option == "--only") {
            const std::string pair = value();
            const size_t eq = pair.find('=');
            if (eq == std::string::npos || eq == 0 || eq + 1 == pair.size())
                throw UsageError(fmt::format("--only expects KEY=VALUE (a trial label, e.g. model.preset=tiny), got '{}'", pair));
            args.only.emplace_back(pair.substr(0, eq), pair.substr(eq + 1));
        }
        else if (option == "--trainer") {
            args.runner.trainer_command = split_words(value());
            if (args.runner.trainer_command.empty()) throw UsageError("--trainer needs a program");
        } else if (option == "--launcher") {
            args.launcher = value();
            if (args.launcher != "local" && args.launcher != "slurm")
                throw UsageError(fmt::format("--launcher expects local or slurm, got '{}'", args.launcher));
        } else if (option == "--partition") args.slurm.partition = value();
        else if (option == "--time") args.slurm.time = value();
        else if (option == "--cpus-per-task") args.slurm.cpus_per_task = parse_count(option, value(), 1);
        else if (option == "--max-parallel") args.slurm.max_parallel = parse_count(option, value(), 1);
        else if (option == "--mpi-ranks") args.slurm.mpi_ranks = parse_count(option, value(), 1);
        else if (option == "--sbatch-arg") args.slurm.sbatch_args.push_back(value()); else if (option.rfind("-", 0) == 0 && option.size() > 1) {
            throw UsageError(fmt::format("unknown option '{}'", option));
        } else if (args.file.empty()) {
            args.file = option;
        } else {
            throw UsageError(fmt::format("one sweep file at a time (got '{}' and '{}')", args.file, option));
        }
    }
    if (args.file.empty()) throw UsageError("no sweep file given");
    if (args.dry_run && args.status) throw UsageError("--dry-run and --status are exclusive");
    const bool slurm_only = !args.slurm.partition.empty() || !args.slurm.time.empty() || args.slurm.cpus_per_task ||
                            args.slurm.max_parallel || args.slurm.mpi_ranks > 1 || !args.slurm.sbatch_args.empty();
    if (slurm_only && args.launcher != "slurm") throw UsageError("--partition, --time, --cpus-per-task, --max-parallel, --mpi-ranks and --sbatch-arg need --launcher slurm");
    args.slurm.dry_run = args.dry_run;
    return args;
}

void print_warnings(const SweepExpansion& sweep) {
    for (const auto& w : sweep.warnings) fmt::print(stderr, "altup sweep: warning: {}\n", w);
}

int report_status(const SweepExpansion& sweep, const RunnerOptions& options) {
    std::vector<TrialRecord> records;
    double finished_seconds = 0;
    int timed = 0;
    for (const auto& trial : sweep.trials) {
        const TrialOwner owner = owner_of(sweep, trial);
        records.push_back(read_trial_record(trial_dir(options, sweep, trial), &owner));
        if (records.back().wall_time_s && is_finished(records.back().status)) {
            finished_seconds += *records.back().wall_time_s;
            ++timed;
        }
    }
    const ProgressCounts counts = count_statuses(sweep, records);
    const double eta = timed == 0 ? -1
                                  : finished_seconds / timed * (counts.pending + 0.5 * counts.running) / std::max(1, options.jobs);
    print_summary_table(stdout, sweep, records);
    fmt::print("{}\n", progress_line(sweep.spec.name, counts, eta));
    // What the table cannot say: which file is in the way, what is wrong with it, the fix.
    for (size_t i = 0; i < sweep.trials.size(); ++i)
        if (is_left_alone(records[i].status))
            fmt::print("{} {}: {}\n", to_string(records[i].status), sweep.trials[i].id, records[i].message);
    return 0;
}

int submit_to_slurm(const SweepExpansion& sweep, const Arguments& args) {
    const SlurmSubmission sub = submit_slurm_array(sweep, args.runner, args.slurm);
    if (sub.trial_ids.empty()) {
        fmt::print("sweep '{}': nothing to submit, every trial is completed or running ({} trials)\n", sweep.spec.name, sweep.trials.size());
        return 0;
    }
    if (args.dry_run) {
        for (const auto& array : sub.arrays) fmt::print("# {}\n{}", array.sbatch_command, array.script);
        for (const auto& array : sub.arrays) fmt::print("# task list {} would hold:\n{}", array.list_path, array.list);
        fmt::print(stderr, "# dry run: {} pending trials; nothing written, nothing submitted\n", sub.trial_ids.size());
        return 0;
    }
    fmt::print("submitted job array {} ({} trials of sweep '{}'); follow it with: altup sweep {} --status --out {}\n", sub.job_id,
               sub.arrays[0].trial_ids.size(), sweep.spec.name, args.file, args.runner.out_dir);
    if (sub.arrays.size() > 1)
        fmt::print("submitted job array {} ({} fine-tune trials, after array {} has ended: --dependency=afterany:{})\n",
                   sub.arrays[1].job_id, sub.arrays[1].trial_ids.size(), sub.job_id, sub.job_id);
    return 0;
}

// `altup sweep --bench`: this executable's `bench` subcommand, in its own process
// as trials are, on the threads the runner gave each trial. 0, 1 or 2 as it exits.
int run_bench_after(const Arguments& args) {
    const int threads = threads_per_trial(available_cores(), args.runner.jobs, args.runner.threads);
    std::error_code ec;  // resolved here: in the shell, /proc/self/exe would be the shell
    const std::string self = std::filesystem::read_symlink("/proc/self/exe", ec).string();
    if (ec) throw std::runtime_error("--bench: cannot find the altup executable (/proc/self/exe)");
    std::string command = fmt::format("{} bench {} --out {} --threads {}", shell_quote(self),
                                      shell_quote(args.file), shell_quote(args.runner.out_dir), threads);
    for (const auto& set : args.sets) command += " --set " + shell_quote(set);
    std::fflush(stdout);
    const int status = std::system(command.c_str());
    if (status == 0) return 0;
    fmt::print(stderr, "altup sweep: altup bench did not finish ({}); run it again with: altup bench {} --out {}\n",
               status, args.file, args.runner.out_dir);
    return 1;
}

}  // namespace

int sweep_command(int argc, char** argv) {
    Arguments args;
    if (const auto stop = read_arguments("altup sweep", kUsage, parse_arguments, argc, argv, args)) return *stop;

    try {
        SweepSpec spec = load_sweep(args.file);
        apply_command_line_sets(spec, args.sets);
        SweepExpansion sweep = expand_sweep(spec);
        const SweepExpansion whole = sweep;  // before --only: its completed trials measure this machine
        if (!args.status && !args.dry_run) write_sweep_manifest(args.runner.out_dir, sweep, args.file, args.sets);
        select_trials(sweep, args.only);
        print_warnings(sweep);
        if (args.status) return report_status(sweep, args.runner);
        if (args.launcher == "slurm") return submit_to_slurm(sweep, args);
        if (args.dry_run) {
            print_trial_table(stdout, sweep);
            const std::string dir = (std::filesystem::path(args.runner.out_dir) / sweep.spec.name).string();
            fmt::print("{}", compute_estimate(sweep, dir, std::max(1, args.runner.jobs), &whole));
            return 0;
        }
        const int code = run_sweep(sweep, args.runner);
        return args.bench && code != 130 ? std::max(code, run_bench_after(args)) : code;
    } catch (const SweepError& e) {
        fmt::print(stderr, "altup sweep: error: {}\n", e.what());
    } catch (const ConfigError& e) {
        fmt::print(stderr, "altup sweep: error: {}\n", e.what());
    } catch (const YAML::Exception& e) {
        fmt::print(stderr, "altup sweep: error: {}: {}\n", args.file, e.what());
    } catch (const std::exception& e) {
        fmt::print(stderr, "altup sweep: error: {}\n", e.what());
    }
    return kExitUsage;
}

}  // namespace altup
