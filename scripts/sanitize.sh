#!/usr/bin/env bash
# Builds a second tree with AddressSanitizer and UndefinedBehaviorSanitizer (-DCPI_SANITIZE=ON)
# and runs the unit suite there (`ctest -L unit`): the protocol tests run the sanitized
# executable too. Any report fails the run (UBSan halts on the first finding; LeakSanitizer is
# on). Extra arguments go to ctest.
#
# Knobs (environment):
#   SANITIZE_BUILD_DIR=D   build tree (default: <repo>/build-sanitize)
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
build_dir=${SANITIZE_BUILD_DIR:-$repo/build-sanitize}
say() { printf '[sanitize] %s\n' "$*" >&2; }

# Debug (-O0): the quickest to compile; the unit suite is small enough to run fast anyway.
cmake -S "$repo" -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCPI_SANITIZE=ON >/dev/null
say "building in $build_dir"
# The test binary brings the executable and the hypervisor module along; nothing else is needed.
cmake --build "$build_dir" --target cpi_tests -- -j"$(nproc)" | tail -n 1 >&2
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:strict_string_checks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
cd "$build_dir"
ctest -L unit --output-on-failure -j"$(nproc)" "$@"
