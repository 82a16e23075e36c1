#include "experiments/trial/trial_protocol.hpp"

#include <filesystem>
#include <fstream>
#include <iostream>

#include "experiments/config/config_io.hpp"
#include "experiments/trial/run_folder.hpp"
#include "util/trial_exit.hpp"

namespace altup {
namespace fs = std::filesystem;

int run_trial_protocol(const Config& cfg, const std::string& run_dir, const TrialLabels& who, const std::function<int()>& body) {
    try {
        return body();
    } catch (const TrialRefused& e) {
        std::cerr << cfg.name << ": " << e.what() << "\n";  // nothing was written; nothing is recorded
        return kBadConfig;
    } catch (const std::exception& e) {
        std::cerr << "\n" << cfg.name << ": failed: " << e.what() << "\n";
        const std::string result = (fs::path(run_dir) / "result.json").string();
        if (holds_completed_result(run_dir, config_id(cfg))) {
            std::cerr << cfg.name << ": " << result << " (completed) is kept\n";
            return kFailed;
        }
        try {  // record the failure, keeping whatever the run had already written
            check_run_folder(run_dir, config_id(cfg));  // failed before it knew the folder to be its own: write nothing there
            nlohmann::json previous;
            if (std::ifstream in(result); in) previous = nlohmann::json::parse(in, nullptr, false);
            write_result_record(result, failure_record(cfg, who, e.what(), previous));
        } catch (const std::exception& again) {
            std::cerr << cfg.name << ": could not record the failure in " << result << ": " << again.what() << "\n";
        }
        return kFailed;
    }
}

}  // namespace altup
