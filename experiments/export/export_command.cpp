#include "experiments/export/export_command.hpp"

#include <iostream>
#include <string>
#include <vector>

#include "experiments/export/export.hpp"
#include "util/command_line.hpp"

namespace altup {

namespace {
const char* kUsage =
    "usage: altup export RUN_DIR OUT_DIR [--quiet]\n"
    "\n"
    "Writes a completed pretraining trial's model for other tools (docs/export.md):\n"
    "  OUT_DIR/model.safetensors  the weights alone, named as the engine names them\n"
    "  OUT_DIR/config.json        the resolved config\n"
    "  OUT_DIR/tokenizer.model    the SentencePiece model (when the trial has one)\n"
    "  OUT_DIR/export.json        manifest: trial, the engine's evaluation, each file's size and CRC-32\n"
    "OUT_DIR must not exist or be empty. python/altup_torch loads the folder in PyTorch.\n"
    "\n"
    "exit codes: 0 written, 1 failed while writing, 2 bad usage or a trial that cannot be exported\n";
}  // namespace

int export_command(int argc, char** argv) {
    std::vector<std::string> positional;
    bool quiet = false;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "-h" || a == "--help") {
            std::cout << kUsage;
            return 0;
        }
        if (a == "--quiet") quiet = true;
        else if (!a.empty() && a[0] == '-') {
            std::cerr << "altup export: unknown option " << a << "\n\n" << kUsage;
            return kExitUsage;
        } else positional.push_back(a);
    }
    if (positional.size() != 2) {
        std::cerr << "altup export: expected RUN_DIR and OUT_DIR\n\n" << kUsage;
        return kExitUsage;
    }
    try {
        const ExportSummary s = export_run(positional[0], positional[1], quiet);
        if (!quiet)
            std::cout << "exported trial " << s.trial_id << " (" << s.parameters << " parameters"
                      << (s.tokenizer ? ", tokenizer" : "") << ") to " << s.out_dir << "\n";
        return 0;
    } catch (const ExportError& e) {
        std::cerr << e.what() << "\n";
        return kExitUsage;
    } catch (const std::exception& e) {
        std::cerr << e.what() << "\n";
        return 1;
    }
}

}  // namespace altup
