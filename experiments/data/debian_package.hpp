// A Debian package pinned by name, version and SHA-256, fetched with
// `apt-get download NAME=VERSION` into the data cache, checked before anything
// in it is read, and unpacked with `dpkg-deb -x`. Only the folder the corpus
// reads from is kept, under <cache>/deb-<name>_<version>/, by one rename (whole
// or not at all). docs/data.md lists the pins.
#pragma once
#include <string>

namespace altup {

struct DebianPackage {
    std::string name;     // "sword-comm-tdavid"
    std::string version;  // "2.1-1"
    std::string sha256;   // of the .deb, as in the archive's Packages index
    std::string keep;     // the folder inside the package to keep ("usr/share/sword/modules/comments/zcom/tdavid")
};

// "<name>_<version>_all.deb" (the file name apt-get download writes; ':' in an
// epoch version is written "%3a").
std::string debian_package_file(const DebianPackage& p);

// Checks `deb` against p.sha256; throws std::runtime_error naming the package,
// the file and both checksums when they differ.
void verify_debian_package(const DebianPackage& p, const std::string& deb);

// The kept folder of p, fetched and unpacked on first use. A .deb already
// placed in <cache_dir>/debs/ (debian_package_file(p)) is used instead of
// downloading, so a version the archive no longer serves can still be
// supplied by hand; it is checked just the same. Safe to call from several
// processes at once (a lock file serialises them).
std::string ensure_debian_package(const std::string& cache_dir, const DebianPackage& p, bool quiet);

}  // namespace altup
