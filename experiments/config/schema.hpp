// The trial config's schema: every dotted key with its type, its check, and
// how it reads from / writes into the typed Config. One table drives parsing,
// validation, serialisation and the "did you mean" hints.
#pragma once
#include <functional>
#include <string>
#include <vector>

#include "experiments/config/config.hpp"

namespace altup {

enum class KeyKind { integer, number, boolean, text, choice };

struct KeyDef {
    std::string key;                       // e.g. "model.altup.k"
    KeyKind kind;
    std::string expected;                  // what the message says was expected
    std::vector<std::string> choices;      // for KeyKind::choice
    bool nullable = false;                 // `null` allowed (text keys such as data.path)
    // Value access by kind (only the one matching `kind` is set).
    std::function<bool(double)> valid;     // range check for integer/number keys
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
