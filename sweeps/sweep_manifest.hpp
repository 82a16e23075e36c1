// <out>/<sweep>/sweep.json: the trials the sweep file expanded to when it was
// last run or submitted. Analysis calls a trial of that folder whose id is not
// listed "stale": the sweep file was edited since, and no longer asks for it
// (docs/result-files.md, docs/analysis.md "Stale trials").
#pragma once
#include <string>
#include <vector>

#include "sweeps/sweep_expansion.hpp"

namespace altup {

// Writes atomically; the whole expansion (before --only selects from it), so a
// partial run never makes the other trials stale. `command_line_sets` are the
// run's `--set KEY=VALUE` arguments, recorded because the trials depend on them.
void write_sweep_manifest(const std::string& out_dir, const SweepExpansion& sweep, const std::string& sweep_file,
                          const std::vector<std::string>& command_line_sets = {});

}  // namespace altup
