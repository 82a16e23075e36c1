#include "experiments/trainer/safetensors.hpp"

#include <cstdint>
#include <cstdio>
#include <fstream>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "util/atomic_file.hpp"

namespace altup {

void write_safetensors(const std::string& path, const std::vector<NamedTensor>& tensors,
                       const std::map<std::string, std::string>& metadata) {
    nlohmann::json header = nlohmann::json::object();
    if (!metadata.empty()) header["__metadata__"] = metadata;
    uint64_t offset = 0;
    for (const auto& t : tensors) {
        const uint64_t bytes = uint64_t(t.tensor.numel()) * sizeof(float);
        header[t.name] = {{"dtype", "F32"}, {"shape", t.tensor.shape()}, {"data_offsets", {offset, offset + bytes}}};
        offset += bytes;
    }
    std::string h = header.dump();
    h.append((8 - h.size() % 8) % 8, ' ');  // the format allows trailing spaces; keeps data 8-byte aligned
    write_file_atomically(path, [&](std::ostream& out) {
        const uint64_t n = h.size();
        unsigned char len[8];
        for (int i = 0; i < 8; ++i) len[i] = static_cast<unsigned char>(n >> (8 * i));
        out.write(reinterpret_cast<const char*>(len), 8);
        out.write(h.data(), static_cast<std::streamsize>(h.size()));
        for (const auto& t : tensors)
            out.write(reinterpret_cast<const char*>(t.tensor.data()), static_cast<std::streamsize>(t.tensor.numel() * sizeof(float)));
    });
}

SafetensorsFile read_safetensors(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error(path + ": cannot open checkpoint");
    in.seekg(0, std::ios::end);
    const uint64_t size = static_cast<uint64_t>(in.tellg());
    in.seekg(0);
    unsigned char len[8];
    if (size < 8 || !in.read(reinterpret_cast<char*>(len), 8)) throw std::runtime_error(path + ": not a safetensors file (too short)");
    uint64_t n = 0;
    for (int i = 0; i < 8; ++i) n |= uint64_t(len[i]) << (8 * i);
    if (n > size - 8) throw std::runtime_error(path + ": corrupt safetensors header length " + std::to_string(n));
    std::string h(n, '\0');
    in.read(h.data(), static_cast<std::streamsize>(n));
    nlohmann::json header;
    try {
        header = nlohmann::json::parse(h);
    } catch (const std::exception& e) {
        throw std::runtime_error(path + ": corrupt safetensors header: " + e.what());
    }
    const uint64_t data_start = 8 + n;
    SafetensorsFile f;
    for (auto it = header.begin(); it != header.end(); ++it) {
        if (it.key() == "__metadata__") {
            for (auto m = it->begin(); m != it->end(); ++m) f.metadata[m.key()] = m->get<std::string>();
            continue;
        }
        const auto& e = it.value();
        if (e.value("dtype", "") != "F32") throw std::runtime_error(path + ": tensor " + it.key() + " is not F32");
        const Shape shape = e.at("shape").get<Shape>();
        const uint64_t begin = e.at("data_offsets").at(0), end = e.at("data_offsets").at(1);
        if (end < begin || data_start + end > size || end - begin != uint64_t(numel_of(shape)) * sizeof(float))
            throw std::runtime_error(path + ": tensor " + it.key() + " has inconsistent offsets");
        Tensor t = Tensor::empty(shape);
        in.seekg(static_cast<std::streamoff>(data_start + begin));
        in.read(reinterpret_cast<char*>(t.data()), static_cast<std::streamsize>(end - begin));
        if (!in) throw std::runtime_error(path + ": truncated data for " + it.key());
        f.tensors.emplace(it.key(), t);
    }
    return f;
}

}  // namespace altup
