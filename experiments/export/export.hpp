// `altup export RUN_DIR OUT_DIR`: a completed pretraining trial as files other
// tools read (docs/export.md): model.safetensors (the weights alone, named as
// the engine names them), config.json (the resolved config), tokenizer.model
// (SentencePiece; absent for byte tokens and pre-tokenized corpora) and
// export.json, the manifest: what was exported, the engine's own evaluation
// of it, and each file's size and CRC-32 so a reader can check what it loads.
#pragma once
#include <stdexcept>
#include <string>

namespace altup {

inline constexpr const char* kExportFormat = "altup-lab export";
inline constexpr int kExportVersion = 1;

// The run folder cannot be exported, or OUT_DIR is in the way: the message
// names the file or key and what was expected (exit 2).
struct ExportError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

struct ExportSummary {
    std::string out_dir;
    std::string trial_id;
    long long parameters = 0;
    bool tokenizer = false;   // tokenizer.model written
};

// Checks the trial (result.json completed and valid, config.yaml parses, a
// pretraining trial, its checkpoint's trial id and step are the trial's, every
// parameter present at its shape), then writes OUT_DIR atomically: into a
// sibling temporary folder, renamed at the end. OUT_DIR must not exist or be
// empty. The tokenizer comes from this machine's token cache (prepared, the
// same deterministic way training did, when it is not there).
ExportSummary export_run(const std::string& run_dir, const std::string& out_dir, bool quiet);

// CRC-32 (zlib's, the one Python's zlib.crc32 computes) of a file, 8 hex digits.
std::string file_crc32(const std::string& path);

}  // namespace altup
