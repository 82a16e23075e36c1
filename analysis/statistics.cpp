#include "analysis/statistics.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>

#include <boost/math/distributions/students_t.hpp>

namespace altup {

double student_t_975(double dof) {
    return boost::math::quantile(boost::math::students_t_distribution<double>(dof), 0.975);
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
    s.ci95 = student_t_975(static_cast<double>(s.n - 1)) * stddev / std::sqrt(static_cast<double>(s.n));
    return s;
}

std::optional<WelchTest> welch_t_test(const std::vector<double>& a, const std::vector<double>& b) {
    if (a.size() < 2 || b.size() < 2) return std::nullopt;
    const Summary sa = summarize(a), sb = summarize(b);
    const double na = static_cast<double>(a.size()), nb = static_cast<double>(b.size());
    const double va = *sa.stddev * *sa.stddev / na, vb = *sb.stddev * *sb.stddev / nb;
    if (va + vb == 0) return std::nullopt;
    WelchTest w;
    w.t = (*sa.mean - *sb.mean) / std::sqrt(va + vb);
    w.dof = (va + vb) * (va + vb) / (va * va / (na - 1) + vb * vb / (nb - 1));
    const boost::math::students_t_distribution<double> dist(w.dof);
    w.p = 2 * boost::math::cdf(boost::math::complement(dist, std::fabs(w.t)));
    return w;
}

std::optional<BootstrapInterval> bootstrap_interval(
    const std::vector<std::vector<double>>& samples,
    const std::function<std::optional<double>(const std::vector<std::vector<double>>&)>& statistic,
    std::size_t resamples, std::uint64_t seed) {
    std::mt19937_64 rng(seed);
    std::vector<std::vector<double>> draw(samples.size());
    std::vector<double> values;
    for (std::size_t r = 0; r < resamples; ++r) {
        for (std::size_t s = 0; s < samples.size(); ++s) {
            draw[s].resize(samples[s].size());
            // Index by hand: std::uniform_int_distribution's output is not specified
            // across standard libraries, and intervals must repeat.
            for (double& v : draw[s]) v = samples[s][rng() % samples[s].size()];
        }
        if (auto v = statistic(draw)) values.push_back(*v);
    }
    if (values.size() * 2 < resamples) return std::nullopt;
    return BootstrapInterval{quantile(values, 0.025), quantile(values, 0.975), values.size(), resamples};
}

}  // namespace altup
