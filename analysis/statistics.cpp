#include "analysis/statistics.hpp"

#include <array>
#include <cmath>
#include <numeric>

namespace altup {

double student_t_975(std::size_t dof) {
    // Exact to 4 decimals where seeds are few (which is always, for us).
    static constexpr std::array<double, 30> table{
        12.7062, 4.3027, 3.1824, 2.7764, 2.5706, 2.4469, 2.3646, 2.3060, 2.2622, 2.2281,
        2.2010,  2.1788, 2.1604, 2.1448, 2.1314, 2.1199, 2.1098, 2.1009, 2.0930, 2.0860,
        2.0796,  2.0739, 2.0687, 2.0639, 2.0595, 2.0555, 2.0518, 2.0484, 2.0452, 2.0423};
    if (dof >= 1 && dof <= table.size()) return table[dof - 1];
    // Beyond 30: the Cornish-Fisher expansion around the normal quantile (error < 1e-4).
    const double z = 1.959963985, v = static_cast<double>(dof);
    const double z3 = z * z * z, z5 = z3 * z * z;
    return z + (z3 + z) / (4 * v) + (5 * z5 + 16 * z3 + 3 * z) / (96 * v * v);
}

Summary summarize(const std::vector<double>& values) {
    Summary s;
    s.n = values.size();
    if (s.n == 0) return s;
    const double mean = std::accumulate(values.begin(), values.end(), 0.0) / static_cast<double>(s.n);
    s.mean = mean;
    if (s.n < 2) return s;
    double squares = 0;
    for (double v : values) squares += (v - mean) * (v - mean);
    const double stddev = std::sqrt(squares / static_cast<double>(s.n - 1));
    s.stddev = stddev;
    s.ci95 = student_t_975(s.n - 1) * stddev / std::sqrt(static_cast<double>(s.n));
    return s;
}

}  // namespace altup
