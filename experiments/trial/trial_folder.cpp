#include "experiments/trial/trial_folder.hpp"

#include <omp.h>

#include <filesystem>
#include <iostream>

#include "experiments/config/config_io.hpp"
#include "experiments/trial/run_folder.hpp"
#include "util/atomic_file.hpp"

namespace altup {
namespace fs = std::filesystem;

std::string TrialFolder::path(const char* name) const { return (fs::path(dir) / name).string(); }

TrialFolder open_trial_folder(const Config& cfg, const TrialFolderRequest& request) {
    TrialFolder folder;
    folder.dir = request.run_dir;
    check_run_folder(folder.dir, config_id(cfg), request.sources);
    const std::string checkpoint = folder.path("ckpt.safetensors");
    if (request.resume && fs::exists(checkpoint)) {
        folder.checkpoint = read_safetensors(checkpoint);
        if (!folder.checkpoint->checksummed && request.say)
            std::cerr << checkpoint << ": written before checkpoints carried checksums; resuming unverified\n";
    }
    fs::create_directories(folder.dir);
    if (request.take_lock) folder.lock = lock_run_folder(folder.dir, config_id(cfg));
    if (cfg.train.threads > 0) omp_set_num_threads(cfg.train.threads);
    folder.threads = omp_get_max_threads();
    if (request.write_files) write_file_atomically(folder.path("config.yaml"), config_yaml_text(cfg));
    return folder;
}

}  // namespace altup
