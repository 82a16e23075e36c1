// `altup sweep FILE --set KEY=VALUE`: an override for every trial, given on the
// command line instead of in the file's `set:` section (docs/sweeps.md).
#pragma once
#include <string>
#include <vector>

#include "sweeps/sweep_spec.hpp"

namespace altup {

// Applies each "KEY=VALUE" to spec.set: it replaces the file's `set:` value of
// that key, or adds one. The key and value are checked as `altup train --set`
// checks them (ConfigError). A key the sweep varies (a grid or zip axis, a
// variant's or an include entry's key, `seed` with a `seeds` axis) is refused
// with a SweepError: one value for all trials would make them the same trial.
// The trials' configs change, and so their ids, as an edit of the file would.
void apply_command_line_sets(SweepSpec& spec, const std::vector<std::string>& assignments);

}  // namespace altup
