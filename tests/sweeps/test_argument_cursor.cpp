// The argument walk `altup sweep` and `altup bench` share (util/command_line.hpp):
// inline and separate values, and the errors for a missing or empty one.
#include <catch2/catch.hpp>

#include <algorithm>
#include <string>
#include <vector>

#include "util/command_line.hpp"

using namespace altup;

namespace {
// The walk over `words` as (argument, value or "-") pairs; options listed in `valued` take a value.
std::vector<std::string> walk(std::vector<std::string> words, const std::vector<std::string>& valued, bool non_empty) {
    words.insert(words.begin(), "altup");
    std::vector<char*> argv;
    for (auto& w : words) argv.push_back(w.data());
    std::vector<std::string> seen;
    for (ArgumentCursor cursor(int(argv.size()), argv.data()); cursor.next();) {
        const std::string option = cursor.option();
        const bool takes = std::find(valued.begin(), valued.end(), option) != valued.end();
        seen.push_back(option + " " + (takes ? (non_empty ? cursor.non_empty_value() : cursor.value()) : "-"));
    }
    return seen;
}
}  // namespace

TEST_CASE("the argument cursor: values inline or next, a missing or empty one named", "[cli]") {
    CHECK(walk({"s.yaml", "--jobs", "2", "--out=runs", "--dry-run", "--set=a=b"}, {"--jobs", "--out", "--set"}, false) ==
          std::vector<std::string>{"s.yaml -", "--jobs 2", "--out runs", "--dry-run -", "--set a=b"});
    // Only a "--" argument splits at '=': a file name may hold one.
    CHECK(walk({"a=b.yaml", "-j", "3"}, {"-j"}, false) == std::vector<std::string>{"a=b.yaml -", "-j 3"});
    CHECK(walk({"--out="}, {"--out"}, false) == std::vector<std::string>{"--out "});
    CHECK_THROWS_WITH(walk({"--out="}, {"--out"}, true), "--out needs a non-empty value");
    CHECK_THROWS_WITH(walk({"s.yaml", "--jobs"}, {"--jobs"}, false), "--jobs needs a value");
}
