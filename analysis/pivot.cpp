#include "analysis/pivot.hpp"

#include <algorithm>
#include <set>

#include "analysis/label_order.hpp"

namespace altup {

std::vector<std::string> companion_labels(const std::vector<Group>& groups, const std::string& key,
                                          const std::string& variant_key) {
    std::set<std::string> candidates;
    for (const Group& g : groups)
        if (g.labels.count(key))
            for (const auto& [k, v] : g.labels)
                if (k != key && k != variant_key) candidates.insert(k);
    std::vector<std::string> companions;
    for (const std::string& candidate : candidates) {
        std::map<std::pair<std::string, std::string>, std::set<std::string>> seen;  // (sweep, key value) -> values
        for (const Group& g : groups)
            if (g.labels.count(key)) seen[{g.sweep, g.label(key)}].insert(g.label(candidate));
        const bool follows = std::all_of(seen.begin(), seen.end(), [](const auto& kv) { return kv.second.size() == 1; });
        if (follows) companions.push_back(candidate);
    }
    return companions;
}

std::optional<PivotTable> build_pivot(const std::vector<Group>& groups, const std::string& key,
                                      const std::string& variant_key, const std::string& baseline,
                                      std::optional<Metric> only_with) {
    std::vector<bool> included(groups.size(), true);
    std::vector<Group> subset;
    for (std::size_t i = 0; i < groups.size(); ++i) {
        included[i] = !only_with || groups[i].stat(*only_with).n > 0;
        if (included[i] && only_with) subset.push_back(groups[i]);
    }
    PivotTable pivot;
    pivot.key = key;
    pivot.companions = companion_labels(only_with ? subset : groups, key, variant_key);
    std::set<std::string> values;
    std::vector<std::map<std::string, std::string>> row_label_sets;
    std::map<std::pair<std::string, std::map<std::string, std::string>>, std::map<std::string, std::size_t>> cells;
    for (std::size_t i = 0; i < groups.size(); ++i) {
        const Group& g = groups[i];
        if (!included[i] || !g.labels.count(key)) continue;
        std::map<std::string, std::string> row = g.labels;
        row.erase(key);
        for (const std::string& c : pivot.companions) row.erase(c);
        values.insert(g.label(key));
        row_label_sets.push_back(row);
        cells[{g.sweep, row}][g.label(key)] = i;
    }
    if (values.empty()) return std::nullopt;
    pivot.column_values.assign(values.begin(), values.end());
    std::sort(pivot.column_values.begin(), pivot.column_values.end(), label_value_less);
    pivot.row_keys = label_columns(row_label_sets, variant_key);
    for (const auto& [row_key, by_value] : cells) {
        PivotTable::Row row;
        row.sweep = row_key.first;
        row.labels = row_key.second;
        for (const std::string& v : pivot.column_values) {
            auto it = by_value.find(v);
            row.cells.push_back(it == by_value.end() ? std::nullopt : std::optional<std::size_t>(it->second));
        }
        pivot.rows.push_back(std::move(row));
    }
    auto label = [](const PivotTable::Row& r, const std::string& k) {
        auto it = r.labels.find(k);
        return it == r.labels.end() ? std::string() : it->second;
    };
    std::stable_sort(pivot.rows.begin(), pivot.rows.end(), [&](const PivotTable::Row& a, const PivotTable::Row& b) {
        if (a.sweep != b.sweep) return a.sweep < b.sweep;
        const bool ab = label(a, variant_key) == baseline, bb = label(b, variant_key) == baseline;
        if (ab != bb) return ab;
        for (const std::string& k : pivot.row_keys) {
            const int c = compare_label_values(label(a, k), label(b, k));
            if (c != 0) return c < 0;
        }
        return false;
    });
    return pivot;
}

}  // namespace altup
