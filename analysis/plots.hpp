// Figures of a sweep, drawn by gnuplot into SVG and PNG:
//   accuracy_vs_speed, loss_vs_speed  quality against train tok/s, one marker per
//                                     method, error bars over seeds, Pareto front
//   loss_vs_step, loss_vs_time        validation loss curves (mean over seeds)
// Each figure's gnuplot script (<name>.gp, data inline) is kept beside it for
// editing; its first lines say which commits and settings the data came from.
#pragma once
#include <string>
#include <vector>

#include "analysis/analysis.hpp"

namespace altup {

struct Figure {
    std::string name;   // file stem
    std::string title;
    std::string svg_path;
    std::string png_path;
    std::vector<std::size_t> groups;  // the groups drawn (their trials are the figure's provenance)
};

struct PlotResult {
    std::vector<Figure> figures;     // drawn
    std::vector<std::string> notes;  // why a figure was left out
};

// Creates `dir` if needed. Throws AnalysisError when gnuplot is missing or fails.
PlotResult write_plots(const Analysis& analysis, const AnalyzeOptions& options, const std::string& dir);

// Mean loss (and wall-clock time) over a group's seeds at each step every seed evaluated.
struct MeanCurvePoint {
    double step = 0;
    std::optional<double> time_s;
    double loss = 0;
    std::optional<double> stddev;  // over the seeds, with two or more
};
// The mean over seeds at the steps every seed (with a curve) logged: the eval
// curve, or with `training` the training loss.
std::vector<MeanCurvePoint> mean_curve(const Group& group, bool training = false);

}  // namespace altup
