// The trial config's schema: every dotted key with its type, its check, and
// how it reads from / writes into the typed Config. One table drives parsing,
// validation, serialisation and the "did you mean" hints.
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "experiments/config/config.hpp"

namespace altup {

enum class KeyKind { integer, number, boolean, text, choice };

struct KeyDef {
    std::string key;                       // e.g. "model.altup.k"
    KeyKind kind = KeyKind::text;
    std::string expected;                  // what the message says was expected
    std::vector<std::string> choices;      // for KeyKind::choice
    bool nullable = false;                 // `null` allowed (text keys such as data.path)
    int64_t min = 0, max = 0;              // inclusive range of integer keys
    std::function<bool(double)> valid;     // range check of number keys
    // Check of text keys beyond "not empty": "" when the value is fine, else
    // the message's text after "key: " (unset = any non-empty value).
    std::function<std::string(const std::string&)> text_problem;
    // Value access; only the pair matching `kind` is set (choice uses text).
    std::function<void(Config&, int64_t)> set_integer;
    std::function<int64_t(const Config&)> get_integer;
    std::function<void(Config&, double)> set_number;
    std::function<double(const Config&)> get_number;
    std::function<void(Config&, bool)> set_bool;
    std::function<bool(const Config&)> get_bool;
    std::function<void(Config&, const std::string&)> set_text;
    std::function<std::string(const Config&)> get_text;
};

const std::vector<KeyDef>& config_schema();
const KeyDef* find_key(const std::string& dotted);

}  // namespace altup
