#!/usr/bin/env bash
# Prints the path of the BOSH CLI to use: $BOSH_CLI, else `bosh` on PATH, else the CLI of
# tools/bosh.xz of the shared material (scripts/shared-dir.sh finds it)
# decompressed into BUILD_DIR/tools/ (BUILD_DIR defaults to <repo>/build). Used by
# scripts/release.sh and the release's tests (tests/bosh/).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
if [ -n "${BOSH_CLI:-}" ]; then
  echo "$BOSH_CLI"
elif command -v bosh >/dev/null 2>&1; then
  command -v bosh
else
  shared=$(bash "$repo/scripts/shared-dir.sh") || exit 1
  xz=$shared/tools/bosh.xz
  tools=${BUILD_DIR:-$repo/build}/tools
  if [ ! -f "$xz" ]; then
    echo "no BOSH CLI: set BOSH_CLI, put bosh on PATH or provide $xz" >&2
    exit 1
  fi
  mkdir -p "$tools"
  if [ ! -x "$tools/bosh" ] || [ "$xz" -nt "$tools/bosh" ]; then
    xz -dc "$xz" >"$tools/bosh.tmp.$$"
    chmod +x "$tools/bosh.tmp.$$"
    mv "$tools/bosh.tmp.$$" "$tools/bosh"
  fi
  echo "$tools/bosh"
fi
