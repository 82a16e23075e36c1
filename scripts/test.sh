#!/usr/bin/env bash
# The test command: installs what is missing, builds, runs every test through CTest.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh
# The corpus and tokenizer cache are shared by the tests (fetched once).
export ALTUP_DATA_DIR="${ALTUP_DATA_DIR:-$PWD/data-cache}"
ctest --test-dir build --output-on-failure --timeout 1500
