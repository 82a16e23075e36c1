// Figures, rendered by gnuplot (Debian's gnuplot-nox): scriptable, and its
// svg and pngcairo terminals need no display. We write the data and a script;
// gnuplot draws.
#pragma once
#include <string>
#include <vector>

#include "analysis/results.hpp"

namespace altup {

struct PlotFiles {
    std::vector<std::string> svg, png;  // paths written
};

// quality_vs_speed.{svg,png}: accuracy against training tokens/s, one marker
// style per method, error bars over seeds, the Pareto front as a line;
// loss_vs_step / loss_vs_time: validation loss curves of every trial.
// Throws std::runtime_error when gnuplot is missing or fails.
PlotFiles write_plots(const std::vector<Group>& groups, const std::string& out_dir);

// The Pareto front (maximise both speed and accuracy): indices into points
// of the non-dominated ones, sorted by speed.
std::vector<size_t> pareto_front(const std::vector<std::pair<double, double>>& speed_accuracy);

}  // namespace altup
