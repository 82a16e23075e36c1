#include "experiments/trial/checkpoint_policy.hpp"

#include <filesystem>
#include <stdexcept>

#include <fmt/format.h>

#include "util/atomic_file.hpp"

namespace altup {
namespace fs = std::filesystem;

void keep_step_copy(const std::string& checkpoint, long long step) {
    const fs::path source(checkpoint);
    const fs::path copy = source.parent_path() / fmt::format("ckpt-step-{}.safetensors", step);
    // Through a temporary and a rename, as every file a trial writes: a kill leaves no torn copy.
    const std::string tmp = temporary_path_for(copy.string());
    fs::copy_file(source, tmp, fs::copy_options::overwrite_existing);
    fs::rename(tmp, copy);
}

void finish_checkpoints(const std::string& policy, const std::string& checkpoint, const std::function<void()>& write_weights) {
    if (policy == "final") write_weights();
    else if (policy == "none") fs::remove(checkpoint);
    else if (policy != "all") throw std::logic_error("train.checkpoint '" + policy + "' is not final, all or none");
}

}  // namespace altup
