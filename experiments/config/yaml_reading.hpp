// Reading the YAML files users write (trial configs, sweep files): what the
// YAML library reports in its own words, or accepts without a word, becomes a
// message in the user's terms, "file:line:col: what is wrong, and the fix".
//   - parse errors ("illegal map value") are said in plain words;
//   - a tab in the indentation is refused (YAML indents with spaces only);
//   - a key given twice in one mapping is refused (the library keeps both);
//   - a quote never closed is refused (the library lets the value run to the
//     end of the file, swallowing every key after it).
#pragma once
#include <stdexcept>
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

namespace altup {

// what() is the complete message "source:line:col: [key: ]problem"; the parts
// are kept for callers that word messages their own way (sweep files; a --set
// value has no line of its own). Callers rethrow it as their own error type.
struct YamlReadError : std::runtime_error {
    YamlReadError(const std::string& source, int line, int column, const std::string& key, const std::string& problem);
    std::string source;
    int line, column;  // 1-based; 0 when the problem has no position
    std::string key;   // the dotted key it concerns, or ""
    std::string problem;
};

// Every document of the file at `path`, checked as above. `what` names the
// file's role in messages ("config file", "sweep file").
std::vector<YAML::Node> read_yaml_file(const std::string& path, const std::string& what);

// The same checks on YAML text, named `source` in messages (a path, or
// "--set model.altup.k=2" for a command-line value, which has no position).
std::vector<YAML::Node> read_yaml_text(const std::string& text, const std::string& source);

// A parser message of the YAML library in plain words, with the usual fix.
std::string plain_yaml_problem(const std::string& parser_message);

}  // namespace altup
