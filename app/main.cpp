// `altup`: the one command-line program. Each subcommand lives with its concern.
#include <cstdio>
#include <cstring>
#include <string>

#include "analysis/analyze_command.hpp"
#include "bench/sweep/bench_command.hpp"
#include "experiments/export/export_command.hpp"
#include "experiments/trainer/train_command.hpp"
#include "sweeps/sweep_command.hpp"
#include "util/command_line.hpp"

namespace {
void usage(FILE* out) {
    std::fputs(
        "usage: altup <command> [options]\n"
        "\n"
        "commands:\n"
        "  train CONFIG.yaml [--set key=value ...] [--out DIR] [--resume]   train one trial\n"
        "  sweep SWEEP.yaml [--dry-run | --status] [--jobs N] [--out DIR] [--launcher local|slurm] ...\n"
        "                                                                     run a whole study, resumably\n"
        "  analyze RUNS_DIR [--format md|csv|latex|json|html] [--baseline VARIANT] [--pivot KEY] [--plot DIR]\n"
        "                   [--output FILE] [--ci] ...                          tables and figures of results\n"
        "  export RUN_DIR OUT_DIR                                               a finished model as safetensors + config.json\n"
        "                                                                     + tokenizer, for PyTorch (python/altup_torch)\n"
        "  bench SWEEP.yaml | RUNS_DIR [--rounds N] [--only ID] [--threads T] ...\n"
        "                                                                     time each speed configuration, interleaved\n"
        "\n"
        "`altup <command> --help` describes each command's options.\n",
        out);
}
}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) { usage(stderr); return altup::kExitUsage; }
    const std::string cmd = argv[1];
    if (cmd == "-h" || cmd == "--help" || cmd == "help") { usage(stdout); return 0; }
    if (cmd == "train") return altup::train_command(argc - 1, argv + 1);
    if (cmd == "sweep") return altup::sweep_command(argc - 1, argv + 1);
    if (cmd == "analyze") return altup::analyze_command(argc - 1, argv + 1);
    if (cmd == "bench") return altup::bench_command(argc - 1, argv + 1);
    if (cmd == "export") return altup::export_command(argc - 1, argv + 1);
    std::fprintf(stderr, "altup: unknown command '%s'\n\n", cmd.c_str());
    usage(stderr);
    return altup::kExitUsage;
}
