// `altup train CONFIG.yaml [--set key=value ...] [--print-config] [--out DIR | --run-dir DIR]
//  [--resume] [--quiet] [--progress-every S] [--sweep NAME] [--label key=value ...] [--pretrained DIR]`
// A config with finetune.task set runs a fine-tuning trial (experiments/finetune).
#include "experiments/trainer/train_command.hpp"

#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include "experiments/config/config_io.hpp"
#include "util/run_folders.hpp"
#include "experiments/finetune/finetune.hpp"
#include "experiments/finetune/pretrained.hpp"
#include "experiments/trainer/trainer.hpp"

namespace altup {

namespace {
const char* kUsage =
    "usage: altup train CONFIG.yaml [options]\n"
    "\n"
    "  --set KEY=VALUE   override a config key (repeatable), e.g. --set model.altup.k=2\n"
    "  --print-config    print the resolved config (every key, defaults included) as YAML and exit;\n"
    "                    it is the config.yaml the trial folder would get\n"
    "  --out DIR         runs root (default: runs); the trial goes to DIR/<name>/<trial-id>/\n"
    "  --run-dir DIR     exact trial directory (used by the sweep runner)\n"
    "  --resume          continue from the trial directory's checkpoint, if any\n"
    "  --quiet           no progress output\n"
    "  --progress-every S  with --quiet, still one plain progress line every S seconds (the sweep runner\n"
    "                    passes 60, so a trial's train.log shows where it is)\n"
    "  --sweep NAME      sweep name to record in result.json\n"
    "  --label KEY=VALUE label to record in result.json (repeatable)\n"
    "  --pretrained DIR  fine-tuning: the pretraining trial folder that finetune.from = pretrain means\n"
    "                    (the sweep runner passes it)\n"
    "\n"
    "exit codes: 0 completed, 1 failed, 2 bad config or usage, 3 diverged, 130/143 interrupted (checkpoint saved)\n";
}  // namespace

int train_command(int argc, char** argv) {
    std::string config_path, out_root = "runs";
    std::vector<std::string> overrides;
    bool print_config = false;
    TrainOptions opts;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        auto value = [&](const char* flag) -> std::string {
            if (i + 1 >= argc) throw std::invalid_argument(std::string(flag) + " needs a value");
            return argv[++i];
        };
        try {
            if (a == "-h" || a == "--help") { std::cout << kUsage; return 0; }
            else if (a == "--set") overrides.push_back(value("--set"));
            else if (a == "--print-config") print_config = true;
            else if (a == "--out") out_root = value("--out");
            else if (a == "--run-dir") opts.run_dir = value("--run-dir");
            else if (a == "--resume") opts.resume = true;
            else if (a == "--quiet") opts.quiet = true;
            else if (a == "--progress-every") {
                const std::string v = value("--progress-every");
                char* end = nullptr;
                opts.progress_every_s = std::strtod(v.c_str(), &end);
                if (v.empty() || *end != '\0' || !(opts.progress_every_s >= 0))
                    throw std::invalid_argument("--progress-every expects seconds (a number >= 0), got '" + v + "'");
            }
            else if (a == "--sweep") opts.sweep = value("--sweep");
            else if (a == "--pretrained") opts.pretrained_dir = value("--pretrained");
            else if (a == "--label") {
                const std::string kv = value("--label");
                const auto eq = kv.find('=');
                if (eq == std::string::npos || eq == 0) throw std::invalid_argument("--label expects KEY=VALUE, got '" + kv + "'");
                opts.labels[kv.substr(0, eq)] = kv.substr(eq + 1);
            } else if (!a.empty() && a[0] == '-') throw std::invalid_argument("unknown option " + a);
            else if (config_path.empty()) config_path = a;
            else throw std::invalid_argument("unexpected argument " + a);
        } catch (const std::invalid_argument& e) {
            std::cerr << "altup train: " << e.what() << "\n\n" << kUsage;
            return kBadConfig;
        }
    }
    if (config_path.empty()) {
        std::cerr << "altup train: missing CONFIG.yaml\n\n" << kUsage;
        return kBadConfig;
    }
    Config cfg;
    try {
        // A fine-tune config may leave model/data out: they are its pretraining trial's. (run_finetune
        // checks the rest of finetune.from before it writes anything, exit 2 too.)
        cfg = load_config(config_path, overrides,
                          [&](YAML::Node& tree) { inherit_pretrained_settings(tree, opts.pretrained_dir, out_root); });
    } catch (const ConfigError& e) {
        std::cerr << e.what() << "\n";
        return kBadConfig;
    } catch (const PretrainedSourceError& e) {
        std::cerr << config_path << ": " << e.what() << "\n";
        return kBadConfig;
    }
    if (print_config) {
        std::cout << "# " << config_path << (overrides.empty() ? "" : " with --set") << ", resolved; config id "
                  << config_id(cfg) << "\n"
                  << config_yaml_text(cfg);
        return 0;
    }
    if (opts.run_dir.empty())
        opts.run_dir = standalone_run_dir(out_root, cfg.name, config_id(cfg));
    opts.runs_root = out_root;
    install_stop_handlers();
    return cfg.finetuning() ? run_finetune(cfg, opts) : run_trial(cfg, opts);
}

}  // namespace altup
