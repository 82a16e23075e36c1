// result.json's schema (docs/result-files.md), checked in one place for every
// reader: the sweep runner's resume, `altup sweep --status` and `altup analyze`.
// A file that is there but does not hold the schema (torn, garbage, a wrong
// type, an unknown status) is `invalid`, with a reason naming the field; what
// a completed result must hold is decided here and nowhere else.
#pragma once
#include <string>

#include <nlohmann/json.hpp>

namespace altup {

inline constexpr int kResultSchemaVersion = 1;

struct ResultFile {
    enum class State { absent, invalid, valid };
    std::string path;
    State state = State::absent;
    nlohmann::json root;  // valid: the file's object
    std::string status;   // valid: running | completed | diverged | failed
    std::string problem;  // invalid: what is wrong, without the path ("field 'quality.eval_loss': expected a number, got string")

    bool absent() const { return state == State::absent; }
    bool invalid() const { return state == State::invalid; }
    bool valid() const { return state == State::valid; }
    // valid and status is `s`
    bool says(const char* s) const { return valid() && status == s; }
    // "<path>: <problem>"
    std::string reason() const { return path + ": " + problem; }
};

// Reads and checks `path`. Absent: no such file. Every other file that does not
// hold the schema (unreadable, empty, not JSON, not an object, a field missing
// or of the wrong type) is invalid.
ResultFile read_result_file(const std::string& path);

// The schema check of a parsed document: "" when it holds, else the first problem.
std::string result_schema_problem(const nlohmann::json& root);

}  // namespace altup
