#!/usr/bin/env bash
# Runs the whole test suite: installs and starts what the tests need (packages, virtlogd,
# libvirtd), builds, then runs every CTest label (unit, libvirt, e2e) against the real libvirtd.
# Extra arguments go to ctest (e.g. `-L unit`).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
build_dir=${BUILD_DIR:-$repo/build}
bash "$repo/scripts/setup.sh"
# The end-to-end tests boot guests of the project's own test stemcell.
bash "$repo/stemcell/build.sh" "$build_dir/stemcell" >&2
cd "$build_dir"
export CPI_TEST_STEMCELL_DIR="$build_dir/stemcell"
ctest --output-on-failure --timeout 3000 -j2 "$@"
