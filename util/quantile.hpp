// The one definition of a quantile in the project: result.json's step times,
// `altup bench`, the benchmarks and the analysis tables all report medians
// and p10/p90 by it, so the same samples give the same figure everywhere.
#pragma once
#include <utility>
#include <vector>

namespace altup {

// The q-quantile (0..1) by linear interpolation between order statistics
// (numpy's "linear" method); NaN when `values` is empty.
double quantile(std::vector<double> values, double q);

inline double median(std::vector<double> values) { return quantile(std::move(values), 0.5); }

}  // namespace altup
