// Fields of a JSON document by dotted path ("quality.eval_loss"): one walk
// for the result-file schema check and for the readers of checked files.
#pragma once
#include <optional>
#include <string_view>

#include <nlohmann/json.hpp>

namespace altup {

// The value at `dotted`; nullptr when a key on the way is absent or a parent
// is not an object (null included).
const nlohmann::json* find_json_path(const nlohmann::json& root, std::string_view dotted);

// The number at `dotted`; nullopt when it is absent, null or not a number.
std::optional<double> number_at_path(const nlohmann::json& root, std::string_view dotted);

}  // namespace altup
