#include "experiments/data/debian_package.hpp"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <stdexcept>

#include <fmt/format.h>

#include "experiments/data/file_lock.hpp"
#include "util/shell.hpp"

namespace altup {
namespace fs = std::filesystem;

std::string debian_package_file(const DebianPackage& p) {
    std::string v = p.version;
    for (size_t pos; (pos = v.find(':')) != std::string::npos;) v.replace(pos, 1, "%3a");
    return p.name + "_" + v + "_all.deb";
}

void verify_debian_package(const DebianPackage& p, const std::string& deb) {
    const CommandOutput r = run_command("sha256sum " + shell_quote(deb));
    if (r.status != 0) throw std::runtime_error(fmt::format("{}: cannot compute its sha256 ({})", deb, r.output));
    const std::string got = r.output.substr(0, 64);
    if (got != p.sha256)
        throw std::runtime_error(fmt::format("Debian package {}={}: checksum mismatch for {}: sha256 {}, expected {} (the pinned "
                                             "value in experiments/data/prose_corpus.cpp); the file was not unpacked. Delete it "
                                             "and run again, or check which mirror apt-get uses",
                                             p.name, p.version, deb, got, p.sha256));
}

std::string ensure_debian_package(const std::string& cache_dir, const DebianPackage& p, bool quiet) {
    const fs::path root = fs::path(cache_dir) / ("deb-" + p.name + "_" + p.version);
    const fs::path kept = root / "data";
    if (fs::is_directory(kept)) return kept.string();
    fs::create_directories(cache_dir);
    FileLock lock((fs::path(cache_dir) / ".corpus.lock").string());
    if (fs::is_directory(kept)) return kept.string();  // another process fetched it meanwhile

    const fs::path staging = fs::path(cache_dir) / fmt::format(".fetch-{}-{}", p.name, ::getpid());
    fs::remove_all(staging);
    fs::create_directories(staging);
    const fs::path placed = fs::path(cache_dir) / "debs" / debian_package_file(p);
    fs::path deb;
    if (fs::is_regular_file(placed)) {
        deb = placed;
    } else {
        if (std::system("command -v apt-get >/dev/null 2>&1 && command -v dpkg-deb >/dev/null 2>&1") != 0)
            throw std::runtime_error(fmt::format("Debian package {}={}: fetched with apt-get download and unpacked with dpkg-deb, "
                                                 "which this machine lacks; put {} into {} by hand",
                                                 p.name, p.version, debian_package_file(p), placed.parent_path().string()));
        if (!quiet) std::fprintf(stderr, "fetching %s=%s with apt-get download ...\n", p.name.c_str(), p.version.c_str());
        const CommandOutput r =
            run_command("cd " + shell_quote(staging.string()) + " && apt-get download -q " + shell_quote(p.name + "=" + p.version) + " 2>&1");
        deb = staging / debian_package_file(p);
        if (r.status != 0 || !fs::is_regular_file(deb)) {
            fs::remove_all(staging);
            throw std::runtime_error(fmt::format(
                "Debian package {}={}: apt-get download failed:\n{}\nIf the package is not found, refresh the package lists "
                "(as root: apt-get update). If this version is no longer served (Debian drops superseded versions), put "
                "{} (sha256 {}) into {} by hand, or update the pin in experiments/data/prose_corpus.cpp (which changes the corpus)",
                p.name, p.version, r.output, debian_package_file(p), p.sha256, placed.parent_path().string()));
        }
    }
    try {
        verify_debian_package(p, deb.string());
    } catch (...) {
        fs::remove_all(staging);
        throw;
    }
    const fs::path tree = staging / "tree";
    const CommandOutput x = run_command("dpkg-deb -x " + shell_quote(deb.string()) + " " + shell_quote(tree.string()) + " 2>&1");
    if (x.status != 0 || !fs::is_directory(tree / p.keep)) {
        fs::remove_all(staging);
        throw std::runtime_error(fmt::format("Debian package {}={}: unpacking {} failed or it has no {}:\n{}", p.name, p.version,
                                             deb.string(), p.keep, x.output));
    }
    fs::rename(tree / p.keep, staging / "data");
    fs::remove_all(tree);
    if (deb.parent_path() == staging) fs::remove(deb);
    fs::remove_all(root);
    fs::rename(staging, root);  // the package appears whole or not at all
    if (!quiet) std::fprintf(stderr, "%s=%s ready in %s (sha256 verified)\n", p.name.c_str(), p.version.c_str(), kept.c_str());
    return kept.string();
}

}  // namespace altup
