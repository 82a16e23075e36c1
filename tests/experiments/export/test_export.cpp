#include <catch2/catch.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "experiments/export/export.hpp"

namespace fs = std::filesystem;

TEST_CASE("file_crc32 is the standard CRC-32 (the check value of \"123456789\", and of no bytes)", "[export]") {
    const fs::path dir = fs::temp_directory_path() / "altup-crc32-test";
    fs::create_directories(dir);
    {
        std::ofstream(dir / "digits", std::ios::binary) << "123456789";
        std::ofstream(dir / "empty", std::ios::binary);
    }
    // The catalogued check value of CRC-32/ISO-HDLC (zlib, Python's zlib.crc32).
    CHECK(altup::file_crc32((dir / "digits").string()) == "cbf43926");
    CHECK(altup::file_crc32((dir / "empty").string()) == "00000000");
    CHECK_THROWS_WITH(altup::file_crc32((dir / "absent").string()), Catch::Contains("cannot be read"));
    fs::remove_all(dir);
}
