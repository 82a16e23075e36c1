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

void finish_checkpoints(CheckpointKeep policy, const std::string& checkpoint, const std::function<void()>& write_weights) {
    switch (policy) {
        case CheckpointKeep::final: write_weights(); break;
        case CheckpointKeep::none: fs::remove(checkpoint); break;
        case CheckpointKeep::all: break;
    }
}

}  // namespace altup
