// safetensors files (the Hugging Face format: an 8-byte little-endian header
// length, a JSON header naming each tensor's dtype, shape and byte range, then
// the raw data), so checkpoints open in other tools.
//
// Our files also carry, in the header's __metadata__, a FNV-1a 64 checksum of
// every tensor's bytes and of the other metadata (key "checksums", a JSON
// text): a flipped bit that still parses is caught when the file is read.
#pragma once
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/tensor.hpp"

namespace altup {

struct NamedTensor {
    std::string name;
    Tensor tensor;
};

// Writes atomically (temp file + rename), with checksums. Throws
// std::runtime_error on I/O errors.
void write_safetensors(const std::string& path, const std::vector<NamedTensor>& tensors,
                       const std::map<std::string, std::string>& metadata);

struct SafetensorsFile {
    std::map<std::string, Tensor> tensors;
    std::map<std::string, std::string> metadata;  // without the "checksums" entry
    bool checksummed = false;                     // false: written before checksums (not verified)
};

// A file that parses but whose bytes are not the ones written (a checksum
// differs). The message names the file, the tensor and the fix.
struct CorruptCheckpoint : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// Reads and validates (header bounds, dtype F32, sizes, checksums when the
// file has them); errors name the file. Throws CorruptCheckpoint on a
// checksum mismatch, std::runtime_error on anything else.
SafetensorsFile read_safetensors(const std::string& path);

// The header's __metadata__ only (no tensor data read, nothing verified):
// for asking whose checkpoint a file is.
std::map<std::string, std::string> read_safetensors_metadata(const std::string& path);

}  // namespace altup
