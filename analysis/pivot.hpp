// The paper-style table: one row per method, one column per value of a label
// (usually model.preset), a cell per group. Labels that only follow the
// column label (train.lr zipped with model.preset) do not split rows.
#pragma once
#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "analysis/grouping.hpp"

namespace altup {

struct PivotTable {
    std::string key;                         // the label whose values are the columns
    std::vector<std::string> column_values;  // presets in size order, numbers by value, else text
    std::vector<std::string> companions;     // labels determined by the column value
    std::vector<std::string> row_keys;       // labels that name a row, variant first
    struct Row {
        std::string sweep;
        std::map<std::string, std::string> labels;     // the row_keys' values
        std::vector<std::optional<std::size_t>> cells;  // group index per column
    };
    std::vector<Row> rows;
};

// nullopt when no group has the label `key`. With `only_with`, groups without a
// value of that metric are left out (pretraining groups from a downstream pivot).
std::optional<PivotTable> build_pivot(const std::vector<Group>& groups, const std::string& key,
                                      const std::string& variant_key, const std::string& baseline,
                                      std::optional<Metric> only_with = std::nullopt);

// Labels other than `key` and `variant_key` whose value is the same in every group
// sharing a value of `key` (and sweep): they follow `key`, as zipped sweep axes do.
std::vector<std::string> companion_labels(const std::vector<Group>& groups, const std::string& key,
                                          const std::string& variant_key);

}  // namespace altup
