#!/usr/bin/env bash
# Prints the folder of the shared material the BOSH tests and builds use (tools/bosh.xz,
# tools/bosh-agent.xz, tools/monit-5.2.5.tar.xz, bosh-deployment/): $CPI_SHARED_DIR when set,
# else ../shared beside the repository, else /work/shared, where our machines keep it for a
# clone that lives elsewhere (a CI clone in /tmp). The one place that knows where it is, used by
# scripts/bosh-cli.sh, tests/bosh/release_lib.sh and stemcell/build-agent-stemcell.sh.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
if [ -n "${CPI_SHARED_DIR:-}" ]; then
  candidates=("$CPI_SHARED_DIR")
else
  candidates=("$repo/../shared" /work/shared)
fi
for d in "${candidates[@]}"; do
  if [ -d "$d/tools" ]; then
    (cd "$d" && pwd)
    exit 0
  fi
done
echo "shared material not found (tried: ${candidates[*]}); set CPI_SHARED_DIR to the folder holding tools/ and bosh-deployment/" >&2
exit 1
