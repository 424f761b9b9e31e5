#!/usr/bin/env bash
# Builds the libFuzzer targets (fuzz/: request parsing, config parsing) with clang, ASan and UBSan
# in a tree of their own, then runs each for a bounded time on a scratch copy of its seed corpus
# (fuzz/corpus/<target>/ is only read). Fails when a target finds a crash, a leak, undefined
# behaviour or a broken response contract; the input is kept as <build>/artifacts/<target>-*.
#
# Knobs (environment):
#   FUZZ_SECONDS=N     time per target (default: 60)
#   FUZZ_BUILD_DIR=D   build tree (default: <repo>/build-fuzz)
#   FUZZ_CC, FUZZ_CXX  compilers (default: clang-14, clang++-14)
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
build_dir=${FUZZ_BUILD_DIR:-$repo/build-fuzz}
seconds=${FUZZ_SECONDS:-60}
say() { printf '[fuzz] %s\n' "$*" >&2; }

CC=${FUZZ_CC:-clang-14} CXX=${FUZZ_CXX:-clang++-14} \
  cmake -S "$repo" -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCPI_FUZZ=ON \
  -DCPI_BUILD_TESTS=OFF >/dev/null
cmake --build "$build_dir" --target request_fuzzer config_fuzzer -- -j"$(nproc)" | tail -n 1 >&2

artifacts=$build_dir/artifacts
mkdir -p "$artifacts"
status=0
for target in request config; do
  work=$(mktemp -d)
  say "$target: ${seconds}s from $(ls "$repo/fuzz/corpus/$target" | wc -l) seeds"
  # New inputs go to the scratch folder (the first corpus argument); the seeds stay as they are.
  if "$build_dir/fuzz/${target}_fuzzer" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
      -max_len=65536 -print_final_stats=1 -artifact_prefix="$artifacts/$target-" \
      "$work" "$repo/fuzz/corpus/$target" 2>"$build_dir/$target.log"; then
    runs=$(awk '/^stat::number_of_executed_units/ {print $2}' "$build_dir/$target.log")
    say "$target: ${runs:-?} runs, $(ls "$work" | wc -l) new corpus entries, no finding"
  else
    say "$target: FAILED (log: $build_dir/$target.log, input: $artifacts/$target-*)"
    tail -n 40 "$build_dir/$target.log" >&2
    status=1
  fi
  rm -rf "$work"
done
exit $status
