// `altup export RUN_DIR OUT_DIR` (docs/export.md).
#pragma once

namespace altup {
int export_command(int argc, char** argv);
}  // namespace altup
