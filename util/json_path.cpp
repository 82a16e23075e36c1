#include "util/json_path.hpp"

#include <string>

namespace altup {

const nlohmann::json* find_json_path(const nlohmann::json& root, std::string_view dotted) {
    const nlohmann::json* node = &root;
    std::size_t start = 0;
    while (true) {
        const std::size_t dot = dotted.find('.', start);
        if (!node->is_object()) return nullptr;
        auto it = node->find(std::string(dotted.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start)));
        if (it == node->end()) return nullptr;
        node = &*it;
        if (dot == std::string_view::npos) return node;
        start = dot + 1;
    }
}

std::optional<double> number_at_path(const nlohmann::json& root, std::string_view dotted) {
    const nlohmann::json* value = find_json_path(root, dotted);
    if (!value || !value->is_number()) return std::nullopt;
    return value->get<double>();
}

}  // namespace altup
