#include "experiments/config/yaml_reading.hpp"

#include <fstream>
#include <map>
#include <iterator>
#include <utility>

#include <fmt/format.h>

namespace altup {

namespace {

std::string at(const std::string& source, int line, int column) {
    if (line <= 0) return source;
    return fmt::format("{}:{}:{}", source, line, column);
}

// YAML forbids tabs in indentation; the library reports them, when it does,
// as "illegal map value" two lines on. Comment lines are left alone.
void check_indentation(const std::string& text, const std::string& source) {
    int line = 1;
    for (size_t start = 0; start < text.size(); ++line) {
        const size_t end = std::min(text.find('\n', start), text.size());
        const size_t first = text.find_first_not_of(" \t", start);
        if (first < end && text[first] != '#' && text[first] != '\r') {
            const size_t tab = text.find('\t', start);
            if (tab < first)
                throw YamlReadError(source, line, int(tab - start) + 1, "",
                                    "a tab in the indentation; YAML indents with spaces only (replace the tab with spaces)");
        }
        start = end + 1;
    }
}

// Where the quoted scalar opening at text[pos] closes, or npos. Double quotes
// escape with a backslash, single quotes by doubling.
size_t closing_quote(const std::string& text, size_t pos) {
    const char quote = text[pos];
    for (size_t i = pos + 1; i < text.size(); ++i) {
        if (quote == '"' && text[i] == '\\') { ++i; continue; }
        if (text[i] != quote) continue;
        if (quote == '\'' && i + 1 < text.size() && text[i + 1] == '\'') { ++i; continue; }
        return i;
    }
    return std::string::npos;
}

std::string child_path(const std::string& path, const std::string& name) { return path.empty() ? name : path + "." + name; }

// One pass over a parsed document: a key given twice in one mapping, and a
// quoted value that never closes (the library ends it at the end of the file).
void check_tree(const YAML::Node& node, const std::string& path, const std::string& text, const std::string& source) {
    if (node.IsScalar()) {
        const YAML::Mark m = node.Mark();
        const size_t pos = m.pos >= 0 ? size_t(m.pos) : std::string::npos;
        if (node.Tag() == "!" && pos < text.size() && (text[pos] == '"' || text[pos] == '\'') &&
            closing_quote(text, pos) == std::string::npos)
            throw YamlReadError(source, m.line + 1, m.column + 1, path,
                                fmt::format("the quote {} opened here is never closed: the value would take in "
                                            "everything after it (close the quote)",
                                            text[pos]));
        return;
    }
    if (node.IsSequence()) {
        size_t i = 0;
        for (const auto& item : node) check_tree(item, fmt::format("{}[{}]", path, i++), text, source);
        return;
    }
    if (!node.IsMap()) return;
    std::map<std::string, YAML::Mark> seen;  // key -> its first place
    for (auto it = node.begin(); it != node.end(); ++it) {
        check_tree(it->first, path, text, source);
        const std::string name = it->first.IsScalar() ? it->first.Scalar() : "?";
        const std::string dotted = child_path(path, name);
        const YAML::Mark m = it->first.Mark();
        if (it->first.IsScalar()) {
            if (const auto first = seen.find(name); first != seen.end())
                throw YamlReadError(source, m.line + 1, m.column + 1, dotted,
                                    fmt::format("duplicate key (first set at line {}, column {}); keep one of the two",
                                                first->second.line + 1, first->second.column + 1));
            seen.emplace(name, m);
        }
        check_tree(it->second, dotted, text, source);
    }
}

}  // namespace

YamlReadError::YamlReadError(const std::string& source_, int line_, int column_, const std::string& key_, const std::string& problem_)
    : std::runtime_error(fmt::format("{}: {}{}", at(source_, line_, column_), key_.empty() ? "" : key_ + ": ", problem_)),
      source(source_), line(line_), column(column_), key(key_), problem(problem_) {}

std::string plain_yaml_problem(const std::string& msg) {
    // The YAML library's parser messages (its ErrorMsg constants), each with what usually causes it.
    static const std::vector<std::pair<std::string, std::string>> plain = {
        {"illegal map value", "a ':' the YAML reader cannot place: a key indented deeper than the keys beside it, "
                              "or a value containing ': ' (indent keys of one section alike, or quote the value)"},
        {"illegal map key", "a key where none can start: check this line's indentation against the lines above"},
        {"end of map not found", "this line is indented differently from the keys of its section "
                                 "(keys of one section start in the same column)"},
        {"end of sequence not found", "this line is indented differently from the list items above it"},
        {"illegal block entry", "a list item ('- ') where a key was expected: check this line's indentation"},
        {"end of map flow not found", "a '{' that is never closed by '}'"},
        {"end of sequence flow not found", "a '[' that is never closed by ']'"},
        {"illegal flow end", "a '}' or ']' without the '{' or '[' that opens it"},
        {"illegal EOF in scalar", "a quoted value is never closed: close its quote"},
        {"illegal character in scalar", "a character that cannot start an unquoted value here: quote the value"},
        {"illegal document indicator in scalar", "'---' or '...' inside a value: quote the value"},
        {"illegal tab when looking for indentation", "a tab in the indentation; YAML indents with spaces only (replace the tab with spaces)"},
        {"unknown escape character: ", "an unknown backslash escape in a double-quoted value "
                                       "(write \\\\ for a backslash, or use single quotes)"},
        {"the referenced anchor is not defined", "an alias (*name) with no anchor (&name) before it"},
        {"unknown token", "text that is not YAML"},
    };
    for (const auto& [library, words] : plain)
        if (msg.rfind(library, 0) == 0) return words;
    return fmt::format("not valid YAML here (the YAML reader says: {})", msg);
}

std::vector<YAML::Node> read_yaml_text(const std::string& text, const std::string& source) {
    check_indentation(text, source);
    std::vector<YAML::Node> documents;
    try {
        documents = YAML::LoadAll(text);
    } catch (const YAML::Exception& e) {
        const bool placed = !e.mark.is_null() && e.mark.line >= 0;
        throw YamlReadError(source, placed ? e.mark.line + 1 : 0, placed ? e.mark.column + 1 : 0, "", plain_yaml_problem(e.msg));
    }
    for (const auto& d : documents) check_tree(d, "", text, source);
    return documents;
}

std::vector<YAML::Node> read_yaml_file(const std::string& path, const std::string& what) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw YamlReadError(path, 0, 0, "", fmt::format("cannot read the {} (check that it exists and is readable)", what));
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (in.bad()) throw YamlReadError(path, 0, 0, "", fmt::format("cannot read the {}", what));
    return read_yaml_text(text, path);
}

}  // namespace altup
