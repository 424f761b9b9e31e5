#!/usr/bin/env bash
# Runs the whole test suite: installs and starts what the tests need (packages, virtlogd,
# libvirtd), builds, then runs every CTest label (unit, libvirt, e2e, reliability, multihost, bosh, ...)
# against the real libvirtd; without arguments (CI) also the unit suite under ASan/UBSan
# (scripts/sanitize.sh) and each fuzzer for a bounded time (scripts/fuzz.sh; FUZZ_SECONDS).
# Extra arguments go to ctest (e.g. `-L unit`) and skip the sanitizer and fuzzing runs.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
build_dir=${BUILD_DIR:-$repo/build}
bash "$repo/scripts/setup.sh"
# The end-to-end tests boot guests of the project's own test stemcell.
bash "$repo/stemcell/build.sh" "$build_dir/stemcell" >&2
# The bosh test (tests/bosh/create_env_test.sh): the real CLI deploys the CPI release onto the
# stemcell with the real agent.
bash "$repo/stemcell/build-agent-stemcell.sh" "$build_dir/agent-stemcell" >&2
bash "$repo/scripts/release.sh" "$build_dir/release" >&2
CPI_TEST_AGENT_STEMCELL=$(ls -t "$build_dir"/agent-stemcell/bosh-stemcell-*-go_agent.tgz | awk 'NR == 1')
CPI_TEST_CPI_RELEASE=$(ls -t "$build_dir"/release/bosh-libvirt-cpi-*.tgz | awk 'NR == 1')
export CPI_TEST_AGENT_STEMCELL CPI_TEST_CPI_RELEASE
cd "$build_dir"
export CPI_TEST_STEMCELL_DIR="$build_dir/stemcell"
ctest --output-on-failure --timeout 3000 -j2 "$@"
# Without arguments (CI, README): the unit suite under ASan/UBSan and both fuzzers for
# FUZZ_SECONDS each (default 60); about 15 minutes on 2 CPUs from a clean clone. RUN_SANITIZERS=0
# skips them.
if [ $# -eq 0 ] && [ "${RUN_SANITIZERS:-1}" = 1 ]; then
  bash "$repo/scripts/sanitize.sh"
  bash "$repo/scripts/fuzz.sh"
fi
