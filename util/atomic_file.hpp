// Files that readers never see half written: write a temp file in the same
// folder, flush and fsync, then rename over the target. Shared by the trainer,
// the sweep runner and analysis (which must not link each other).
#pragma once
#include <functional>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

namespace altup {

// Throws std::runtime_error naming the path on failure.
void write_file_atomically(const std::string& path, const std::string& contents);
void write_file_atomically(const std::string& path, const std::function<void(std::ostream&)>& write);

// A temporary name in the same folder as `path` (so the rename stays on one
// filesystem) that names its writer: "<path>.tmp.<host>.<pid>".
std::string temporary_path_for(const std::string& path);

// Who wrote a temporary of temporary_path_for, read back from its file name;
// nullopt for any other name. Names of the older form "<name>.tmp.<pid>" have
// an empty host.
struct TemporaryWriter {
    std::string target;  // the file name the temporary was to become
    std::string host;    // "" for the older form
    long pid = 0;
};
std::optional<TemporaryWriter> temporary_writer_of(const std::string& file_name);

// Removes the temporaries directly in `dir` whose writer is gone: written on
// this host (or of the older form) by a process that no longer exists. A
// temporary of a live process, or of another host, is kept. Returns the
// removed paths; a missing folder removes nothing.
std::vector<std::string> remove_stale_temporaries(const std::string& dir);

// The whole file, or "" when it cannot be read.
std::string read_file_or_empty(const std::string& path);

}  // namespace altup
