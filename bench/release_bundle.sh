#!/bin/bash
# The release's portable bundle (scripts/bundle.sh) against the system build: `info` as whole
# processes, and the bundle's size.
#
#   bench/release_bundle.sh [BUILD_DIR]
#
#   system    BUILD_DIR/bosh-libvirt-cpi --config C           (the host's loader and libraries)
#   bundle    <bundle>/lib/ld-linux-x86-64.so.2 --library-path <bundle>/lib <bundle>/bin/...
#   bin/cpi   the release job's bin/cpi (sh, then the bundle line above), as BOSH runs it
#   true      /bin/true, the floor
#
# Two measurements of the same four commands in one run: bench/floor/timeit.c (interleaved round
# by round, request fed on stdin without a shell) and hyperfine -N (one command after the other;
# it cannot feed stdin without a shell, so each command runs as `sh -c 'exec CMD < request'`
# and the shell's start-up, ~1 ms, is in every figure and in the floor). Target: bundle <= 1.2x
# system.
# Prints markdown on stdout; progress on stderr. Knobs: RUNS (default 300).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-${BUILD_DIR:-$repo/build}}" && pwd)
runs=${RUNS:-300}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

bash "$repo/scripts/bundle.sh" "$build" "$work" 2>"$work/bundle.log"
blob=$work/bosh-libvirt-cpi-linux-amd64.tgz
b=$work/pkg/bosh-libvirt-cpi
mkdir -p "$b" "$work/jobs/libvirt_cpi/bin" "$work/jobs/libvirt_cpi/config"
tar -xzf "$blob" -C "$b"
# bin/cpi as rendered without proxies (no property set: if_p yields nothing).
ruby -rerb -e 'def if_p(*) end; print ERB.new(File.read(ARGV[0]), trim_mode: "-").result(binding)' \
  "$repo/release/jobs/libvirt_cpi/templates/cpi.erb" >"$work/jobs/libvirt_cpi/bin/cpi"
chmod +x "$work/jobs/libvirt_cpi/bin/cpi"
config=$work/jobs/libvirt_cpi/config/cpi.json
echo '{"agent":{"mbus":"https://mbus:p@0.0.0.0:6868"}}' >"$config"
echo '{"method":"info","arguments":[],"context":{"director_uuid":"bench"}}' >"$work/info.json"
cc -O2 -o "$work/timeit" "$repo/bench/floor/timeit.c"
export BOSH_PACKAGES_DIR=$work/pkg BOSH_JOBS_DIR=$work/jobs BOSH_LIBVIRT_CPI_MODULE_DIR=$b/lib/bosh-libvirt-cpi
sys=("$build/bosh-libvirt-cpi" --config "$config")
bun=("$b/lib/ld-linux-x86-64.so.2" --library-path "$b/lib" "$b/bin/bosh-libvirt-cpi" --config "$config")
load_before=$(cut -d' ' -f1-3 /proc/loadavg)

echo "timeit: $runs runs each, interleaved ..." >&2
"$work/timeit" -r "$runs" -w 20 \
  system "$work/info.json" '"error":null' "${sys[@]}" :: \
  bundle "$work/info.json" '"error":null' "${bun[@]}" :: \
  bin_cpi "$work/info.json" '"error":null' /bin/sh "$work/jobs/libvirt_cpi/bin/cpi" :: \
  true "$work/info.json" - /bin/true >"$work/timeit.txt"
echo "hyperfine ..." >&2
# -N: no shell of hyperfine's own (whose start-up it would subtract, badly on a busy machine);
# each command is its own `sh -c 'exec ... < request'`, the floor included.
sh_c() { echo "/bin/sh -c 'exec $* < $work/info.json'"; }
hyperfine -N --warmup 20 --runs "$runs" --export-json "$work/hf.json" \
  -n system "$(sh_c "${sys[*]}")" \
  -n bundle "$(sh_c "${bun[*]}")" \
  -n bin_cpi "$(sh_c /bin/sh "$work/jobs/libvirt_cpi/bin/cpi")" \
  -n true "$(sh_c /bin/true)" >"$work/hf.txt" 2>&1
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

med() { awk -v l="$1" '$1 == l {print $4}' "$work/timeit.txt"; }
hf() { jq -r --arg n "$1" '.results[] | select(.command == $n) | .median * 1000' "$work/hf.json"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2fx", a / b}'; }
over() { awk -v a="$1" -v b="$2" -v f="$3" 'BEGIN {printf "%.2fx", (a - f) / (b - f)}'; }

echo "Load average before / after: $load_before / $load_after; $(nproc) CPUs; $(date -u +%F)."
echo
echo "| command | timeit median (ms) | ratio to system | hyperfine -N median (ms, incl. sh) | ratio to system |"
echo "|---|---|---|---|---|"
for n in system bundle bin_cpi true; do
  echo "| $n | $(printf '%.2f' "$(med $n)") | $(ratio "$(med $n)" "$(med system)") | $(printf '%.2f' "$(hf $n)") | $(ratio "$(hf $n)" "$(hf system)") |"
done
echo
echo "Over the floor (median minus /bin/true's): bundle $(over "$(med bundle)" "$(med system)" "$(med true)") of system (timeit), $(over "$(hf bundle)" "$(hf system)" "$(hf true)") (hyperfine)."
echo
unpacked=$(du -sk "$b" | cut -f1)
echo "Bundle: $(( $(stat -c %s "$blob") / 1024 )) KiB compressed (gzip -6), $unpacked KiB unpacked, $(find "$b/lib" -maxdepth 1 -name '*.so*' | wc -l) libraries; largest:"
echo
(cd "$b" && find . -type f -printf '%s %p\n' | sort -rn | head -n 6 | awk '{printf "- %s %d KiB\n", $2, $1 / 1024}')
