#!/usr/bin/env bash
# The main job: installs what is missing, builds, and runs the quickstart sweep
# (baseline vs AltUp K=2 vs Recycled-AltUp K=2 on the tiny preset, Brown corpus),
# ending with the comparison table.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh
export ALTUP_DATA_DIR="${ALTUP_DATA_DIR:-$PWD/data-cache}"
build/altup sweep sweeps/examples/quickstart.yaml --out runs
build/altup analyze runs/quickstart --baseline baseline
