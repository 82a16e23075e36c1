// How label values sort in tables and pivots: model presets in size order
// (tiny < small < base < large), numbers by value, anything else as text.
#pragma once
#include <map>
#include <string>
#include <vector>

namespace altup {

// Negative, zero or positive like strcmp.
int compare_label_values(const std::string& a, const std::string& b);

// a < b by compare_label_values, for std::sort.
bool label_value_less(const std::string& a, const std::string& b);

// The columns that name a group: `variant_key` first, then the other keys sorted.
std::vector<std::string> label_columns(const std::vector<std::map<std::string, std::string>>& label_sets,
                                       const std::string& variant_key);

}  // namespace altup
