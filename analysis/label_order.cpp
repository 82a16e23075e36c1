#include "analysis/label_order.hpp"

#include <algorithm>
#include <array>
#include <cstdlib>
#include <optional>
#include <set>

namespace altup {
namespace {

std::optional<int> preset_rank(const std::string& value) {
    static const std::array<const char*, 4> presets{"tiny", "small", "base", "large"};
    for (std::size_t i = 0; i < presets.size(); ++i)
        if (value == presets[i]) return static_cast<int>(i);
    return std::nullopt;
}

std::optional<double> as_number(const std::string& value) {
    if (value.empty()) return std::nullopt;
    char* end = nullptr;
    const double v = std::strtod(value.c_str(), &end);
    if (end != value.c_str() + value.size()) return std::nullopt;
    return v;
}

}  // namespace

int compare_label_values(const std::string& a, const std::string& b) {
    const auto pa = preset_rank(a), pb = preset_rank(b);
    if (pa && pb) return *pa - *pb;
    if (pa != pb) return pa ? -1 : 1;  // presets before other text
    const auto na = as_number(a), nb = as_number(b);
    if (na && nb && *na != *nb) return *na < *nb ? -1 : 1;
    if (na.has_value() != nb.has_value()) return na ? -1 : 1;  // numbers before text
    return a.compare(b) < 0 ? -1 : (a == b ? 0 : 1);
}

bool label_value_less(const std::string& a, const std::string& b) { return compare_label_values(a, b) < 0; }

std::vector<std::string> label_columns(const std::vector<std::map<std::string, std::string>>& label_sets,
                                       const std::string& variant_key) {
    std::set<std::string> keys;
    for (const auto& labels : label_sets)
        for (const auto& [key, value] : labels) keys.insert(key);
    std::vector<std::string> columns;
    if (keys.erase(variant_key)) columns.push_back(variant_key);
    columns.insert(columns.end(), keys.begin(), keys.end());
    return columns;
}

}  // namespace altup
