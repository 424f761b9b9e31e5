#!/bin/bash
# Per-call overhead: `info` and `has_vm` as whole processes, each beside its floor, measured
# round by round in the same run (bench/floor/timeit.c: spawns each command with its request on
# stdin, interleaved, so a busy machine slows all of them alike).
#
#   bench/info_has_vm.sh [BUILD_DIR]
#
#   info                  vs /bin/true fed the same request        target: info median <= 2 ms
#   has_vm (VM exists)    vs virsh domstate on the same domain      target: <= 1.0x
#   has_vm (no such VM)   (the Director's common probe; no floor)
# The VM is created by the CPI (create_vm) and powered off before the runs, so no booting guest
# competes for the CPUs; has_vm makes the same calls for a running domain.
# Prints a markdown table on stdout; progress on stderr. Knobs: RUNS (200 info, RUNS_VM 60 has_vm).
set -euo pipefail
[ -n "${1:-}" ] && export BUILD_DIR=$1
source "$(dirname "$0")/world.sh"
RUNS=${RUNS:-200}
RUNS_VM=${RUNS_VM:-60}

world_create ihv
cc -O2 -o "$WORLD/timeit" "$REPO/bench/floor/timeit.c"
vm=$(world_create_vm)
$VIRSH destroy "$vm" >/dev/null
world_request info '[]' >"$WORLD/info.json"
world_request has_vm "[\"$vm\"]" >"$WORLD/has_vm.json"
world_request has_vm '["vm-00000000-0000-4000-8000-000000000000"]' >"$WORLD/has_vm_missing.json"
load_before=$(cut -d' ' -f1-3 /proc/loadavg)

echo "info: $RUNS runs each, interleaved ..." >&2
"$WORLD/timeit" -r "$RUNS" -w 10 \
	info "$WORLD/info.json" '"error":null' "$CPI" --config "$CONFIG" :: \
	true "$WORLD/info.json" - /bin/true >"$WORLD/info.txt"
echo "has_vm: $RUNS_VM runs each, interleaved ..." >&2
"$WORLD/timeit" -r "$RUNS_VM" -w 3 \
	has_vm "$WORLD/has_vm.json" '"result":true' "$CPI" --config "$CONFIG" :: \
	domstate - 'shut off' virsh -c qemu:///system domstate "$vm" :: \
	has_vm_missing "$WORLD/has_vm_missing.json" '"result":false' "$CPI" --config "$CONFIG" \
	>"$WORLD/has_vm.txt"

# row LABEL FILE KEY: "| label | min | median | max | CPU mean | runs |" from a timeit line.
row() { awk -v l="$1" -v k="$3" '$1 == k {printf "| %s | %.2f | %.2f | %.2f | %.2f | %d |\n", l, $3, $4, $5, $8, $2}' "$2"; }
med() { awk -v k="$2" '$1 == k {print $4}' "$1"; }
echo "load average before/after: $load_before / $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| command (whole process) | min (ms) | median (ms) | max (ms) | CPU user+sys, mean (ms) | runs |"
echo "|---|---|---|---|---|---|"
row "\`info\`" "$WORLD/info.txt" info
row "floor: \`/bin/true < request\`" "$WORLD/info.txt" true
row "\`has_vm\` (VM exists, shut off)" "$WORLD/has_vm.txt" has_vm
row "floor: \`virsh domstate\` (same domain)" "$WORLD/has_vm.txt" domstate
row "\`has_vm\` (no such VM)" "$WORLD/has_vm.txt" has_vm_missing
echo
awk -v i="$(med "$WORLD/info.txt" info)" -v t="$(med "$WORLD/info.txt" true)" \
	'BEGIN {printf "info median: %.2f ms (target <= 2 ms); minus /bin/true: %.2f ms\n", i, i - t}'
awk -v h="$(med "$WORLD/has_vm.txt" has_vm)" -v v="$(med "$WORLD/has_vm.txt" domstate)" \
	'BEGIN {printf "ratio has_vm / virsh domstate (medians): %.2f (target <= 1.0)\n", h / v}'
