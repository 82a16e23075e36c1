#include "sweeps/sweep_manifest.hpp"

#include <filesystem>

#include <nlohmann/json.hpp>

#include "util/atomic_file.hpp"
#include "util/sweep_manifest_format.hpp"

namespace altup {

void write_sweep_manifest(const std::string& out_dir, const SweepExpansion& sweep, const std::string& sweep_file,
                          const std::vector<std::string>& command_line_sets) {
    const std::filesystem::path dir = std::filesystem::path(out_dir) / sweep.spec.name;
    std::filesystem::create_directories(dir);
    nlohmann::json ids = nlohmann::json::array();
    for (const Trial& t : sweep.trials) ids.push_back(t.id);
    std::error_code ec;
    const std::filesystem::path source = std::filesystem::absolute(sweep_file, ec);
    const nlohmann::json manifest{{"format", kSweepManifestFormat},
                                  {"sweep", sweep.spec.name},
                                  {"sweep_file", ec ? sweep_file : source.string()},
                                  {"command_line_sets", command_line_sets},
                                  {"trials", ids}};
    write_file_atomically((dir / kSweepManifestName).string(), manifest.dump(2) + "\n");
}

}  // namespace altup
