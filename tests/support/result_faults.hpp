// Broken result.json files for fault-injection tests, each made from a valid
// one, with the reason the schema check (util/result_file.hpp) must give. One
// list for the sweep tests (status, resume) and the analysis tests.
#pragma once
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace altup_test {

struct ResultFault {
    std::string name;
    std::function<std::string(const std::string& valid)> make;  // the broken bytes, from a valid completed file's
    std::string reason;                                         // what the check says (without the path)
    bool reason_is_prefix = false;                              // parser messages go on with a position
};

inline std::string with_json_edit(const std::string& valid, const std::function<void(nlohmann::json&)>& edit) {
    nlohmann::json j = nlohmann::json::parse(valid);
    edit(j);
    return j.dump(2) + "\n";
}

inline std::vector<ResultFault> result_faults() {
    return {
        {"empty file", [](const std::string&) { return std::string(); }, "empty file (0 bytes)"},
        {"torn JSON (the first half of a real one)", [](const std::string& v) { return v.substr(0, v.size() / 2); },
         "not valid JSON (parse error at line ", true},
        {"binary garbage", [](const std::string&) { return std::string("\x89PNG\r\n\x1a\n\0\0\0\rIHDR\xff\xfe", 18); },
         "not valid JSON (parse error at line 1, column 1: ", true},
        {"a JSON array instead of an object", [](const std::string& v) { return "[" + v + "]"; }, "expected a JSON object, got array"},
        {"status completed but no quality section",
         [](const std::string& v) { return with_json_edit(v, [](nlohmann::json& j) { j.erase("quality"); }); },
         "missing field 'quality'"},
        {"quality.eval_loss a string",
         [](const std::string& v) { return with_json_edit(v, [](nlohmann::json& j) { j["quality"]["eval_loss"] = "2.5"; }); },
         "field 'quality.eval_loss': expected a number, got string"},
        {"an unknown status",
         [](const std::string& v) { return with_json_edit(v, [](nlohmann::json& j) { j["status"] = "finished"; }); },
         "status 'finished' is not one of running, completed, diverged, failed"},
    };
}

// Every byte printable: a message quoting garbage must not put it on the terminal.
inline bool is_printable(const std::string& text) {
    for (unsigned char ch : text)
        if (ch < 0x20 || ch > 0x7e) return false;
    return true;
}

}  // namespace altup_test
