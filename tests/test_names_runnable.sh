#!/bin/sh
# CTest runs each Catch test by name: a name with ';' is split into two
# arguments and a name starting with '-' is read as an option, and either
# test then runs nothing (and "passes"). Such a name in tests/ fails here.
found=$(grep -rnE 'TEST_CASE\("(-|[^"]*;)' "$1" --include='*.cpp')
if [ -n "$found" ]; then
  echo "test names CTest cannot run (no ';', no leading '-'):"
  echo "$found"
  exit 1
fi
echo "ok: every TEST_CASE name is runnable under CTest"
