#!/usr/bin/env bash
# The cost of the duplicate-key walk (src/core/json/duplicate_keys.cc) on a typical create_vm request,
# beside simdjson's parse of it. No libvirt needed. Compiles bench/request_walk_bench.cc with the
# project's flags for a release build (-O2) against Google Benchmark (libbenchmark-dev).
#   bench/request_walk.sh [extra Google Benchmark flags]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
out=$(mktemp -d /tmp/request-walk-bench.XXXXXX)
trap 'rm -rf "$out"' EXIT
g++ -std=c++20 -O2 -DNDEBUG -I"$root/include" \
  "$here/request_walk_bench.cc" "$root/src/core/json/duplicate_keys.cc" \
  -o "$out/request_walk_bench" -lsimdjson -lbenchmark -lpthread
"$out/request_walk_bench" --benchmark_repetitions=5 --benchmark_report_aggregates_only=true "$@"
