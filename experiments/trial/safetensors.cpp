#include "experiments/trial/safetensors.hpp"

#include <cstdint>
#include <cstdio>
#include <fstream>
#include <string_view>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "util/atomic_file.hpp"
#include "util/hash.hpp"

namespace altup {
using json = nlohmann::json;

namespace {
constexpr const char* kChecksumsKey = "checksums";

std::string hex64(uint64_t h) { return fmt::format("{:016x}", h); }

std::string tensor_checksum(const Tensor& t) {
    return hex64(fnv1a64(std::string_view(reinterpret_cast<const char*>(t.data()), size_t(t.numel()) * sizeof(float))));
}

// The metadata's checksum: of its canonical JSON (std::map keeps keys sorted).
std::string metadata_checksum(const std::map<std::string, std::string>& metadata) {
    return hex64(fnv1a64(json(metadata).dump()));
}

struct Header {
    json header;
    uint64_t data_start = 0, size = 0;
};

Header read_header(std::ifstream& in, const std::string& path) {
    if (!in) throw std::runtime_error(path + ": cannot open checkpoint");
    in.seekg(0, std::ios::end);
    Header h;
    h.size = static_cast<uint64_t>(in.tellg());
    in.seekg(0);
    unsigned char len[8];
    if (h.size < 8 || !in.read(reinterpret_cast<char*>(len), 8)) throw std::runtime_error(path + ": not a safetensors file (too short)");
    uint64_t n = 0;
    for (int i = 0; i < 8; ++i) n |= uint64_t(len[i]) << (8 * i);
    if (n > h.size - 8) throw std::runtime_error(path + ": corrupt safetensors header length " + std::to_string(n));
    std::string text(n, '\0');
    in.read(text.data(), static_cast<std::streamsize>(n));
    try {
        h.header = json::parse(text);
    } catch (const std::exception& e) {
        throw std::runtime_error(path + ": corrupt safetensors header: " + e.what());
    }
    if (!h.header.is_object()) throw std::runtime_error(path + ": corrupt safetensors header: not a JSON object");
    h.data_start = 8 + n;
    return h;
}

std::map<std::string, std::string> metadata_of(const json& header, const std::string& path) {
    std::map<std::string, std::string> out;
    if (!header.contains("__metadata__")) return out;
    const json& m = header["__metadata__"];
    if (!m.is_object()) throw std::runtime_error(path + ": corrupt safetensors header: __metadata__ is not an object");
    for (auto it = m.begin(); it != m.end(); ++it) {
        if (!it->is_string()) throw std::runtime_error(path + ": corrupt safetensors header: __metadata__." + it.key() + " is not a string");
        out[it.key()] = it->get<std::string>();
    }
    return out;
}

[[noreturn]] void corrupt(const std::string& path, const std::string& what, const std::string& actual, const std::string& recorded) {
    throw CorruptCheckpoint(fmt::format("corrupt checkpoint {}: {} checksum {} differs from the recorded {}: delete it to restart the trial",
                                        path, what, actual, recorded));
}
}  // namespace

void write_safetensors(const std::string& path, const std::vector<NamedTensor>& tensors,
                       const std::map<std::string, std::string>& metadata) {
    json header = json::object();
    json sums = json::object();
    uint64_t offset = 0;
    for (const auto& t : tensors) {
        const uint64_t bytes = uint64_t(t.tensor.numel()) * sizeof(float);
        header[t.name] = {{"dtype", "F32"}, {"shape", t.tensor.shape()}, {"data_offsets", {offset, offset + bytes}}};
        sums[t.name] = tensor_checksum(t.tensor);
        offset += bytes;
    }
    std::map<std::string, std::string> meta = metadata;
    meta.erase(kChecksumsKey);
    const std::string meta_sum = metadata_checksum(meta);
    meta[kChecksumsKey] = json{{"algorithm", "fnv1a64"}, {"metadata", meta_sum}, {"tensors", sums}}.dump();
    header["__metadata__"] = meta;
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

std::map<std::string, std::string> read_safetensors_metadata(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::map<std::string, std::string> meta = metadata_of(read_header(in, path).header, path);
    meta.erase(kChecksumsKey);
    return meta;
}

SafetensorsFile read_safetensors(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    const Header h = read_header(in, path);
    SafetensorsFile f;
    f.metadata = metadata_of(h.header, path);
    json sums;
    if (auto it = f.metadata.find(kChecksumsKey); it != f.metadata.end()) {
        sums = json::parse(it->second, nullptr, false);
        if (!sums.is_object() || sums.value("algorithm", "") != "fnv1a64" || !sums.contains("tensors") ||
            !sums["tensors"].is_object() || !sums.contains("metadata") || !sums["metadata"].is_string())
            throw CorruptCheckpoint(fmt::format("corrupt checkpoint {}: unreadable \"{}\" metadata: delete it to restart the trial",
                                                path, kChecksumsKey));
        f.metadata.erase(it);
        f.checksummed = true;
        const std::string actual = metadata_checksum(f.metadata);
        if (actual != sums["metadata"].get<std::string>()) corrupt(path, "metadata", actual, sums["metadata"]);
    }
    for (auto it = h.header.begin(); it != h.header.end(); ++it) {
        if (it.key() == "__metadata__") continue;
        const auto& e = it.value();
        if (!e.is_object() || e.value("dtype", "") != "F32") throw std::runtime_error(path + ": tensor " + it.key() + " is not F32");
        Shape shape;
        uint64_t begin = 0, end = 0;
        try {
            shape = e.at("shape").get<Shape>();
            begin = e.at("data_offsets").at(0);
            end = e.at("data_offsets").at(1);
        } catch (const json::exception&) {
            throw std::runtime_error(path + ": tensor " + it.key() + " has no valid shape and data_offsets");
        }
        if (end < begin || h.data_start + end > h.size || end - begin != uint64_t(numel_of(shape)) * sizeof(float))
            throw std::runtime_error(path + ": tensor " + it.key() + " has inconsistent offsets");
        Tensor t = Tensor::empty(shape);
        in.seekg(static_cast<std::streamoff>(h.data_start + begin));
        in.read(reinterpret_cast<char*>(t.data()), static_cast<std::streamsize>(end - begin));
        if (!in) throw std::runtime_error(path + ": truncated data for " + it.key());
        if (f.checksummed) {
            const json& recorded = sums["tensors"];
            if (!recorded.contains(it.key()) || !recorded[it.key()].is_string())
                throw CorruptCheckpoint(fmt::format("corrupt checkpoint {}: tensor {} has no recorded checksum: delete it to restart the trial",
                                                    path, it.key()));
            const std::string actual = tensor_checksum(t);
            if (actual != recorded[it.key()].get<std::string>()) corrupt(path, "tensor " + it.key(), actual, recorded[it.key()]);
        }
        f.tensors.emplace(it.key(), t);
    }
    if (f.checksummed)
        for (auto it = sums["tensors"].begin(); it != sums["tensors"].end(); ++it)
            if (!f.tensors.count(it.key()))
                throw CorruptCheckpoint(fmt::format("corrupt checkpoint {}: tensor {} is recorded but missing: delete it to restart the trial",
                                                    path, it.key()));
    return f;
}

}  // namespace altup
