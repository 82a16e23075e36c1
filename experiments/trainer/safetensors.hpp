// safetensors files (the Hugging Face format: an 8-byte little-endian header
// length, a JSON header naming each tensor's dtype, shape and byte range, then
// the raw data), so checkpoints open in other tools.
#pragma once
#include <map>
#include <string>
#include <vector>

#include "core/tensor.hpp"

namespace altup {

struct NamedTensor {
    std::string name;
    Tensor tensor;
};

// Writes atomically (temp file + rename). Throws std::runtime_error on I/O errors.
void write_safetensors(const std::string& path, const std::vector<NamedTensor>& tensors,
                       const std::map<std::string, std::string>& metadata);

struct SafetensorsFile {
    std::map<std::string, Tensor> tensors;
    std::map<std::string, std::string> metadata;
};
// Reads and validates (header bounds, dtype F32, sizes); errors name the file.
SafetensorsFile read_safetensors(const std::string& path);

}  // namespace altup
