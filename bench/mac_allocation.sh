#!/bin/bash
# How create_vm's MAC allocation grows with the domains defined on the host: one create_vm at a
# time with K more domains defined (shut off, one NIC each), K = 10, 100, 500, of two kinds:
# "cpi" — VMs as this CPI names them (vm-<uuid version 8>: their MACs follow from the name, so the
# allocation need not read their definitions) — and "foreign" — any other domain (another tool's,
# or a VM of a CPI before the derived MACs), whose definition the allocation still reads.
# Optionally against a second build (BASE_BUILD_DIR, e.g. main before the change), interleaved.
#
#   bench/mac_allocation.sh [BUILD_DIR [BASE_BUILD_DIR]]
#
# The allocation step is timed two ways: from libvirt's client debug log of one create_vm, from
# listing the domains to the network lookup that follows the allocation (every definition read in
# between included; the debug log's own cost, a few lines per domain listed, is in every figure
# alike; works for builds before the change), and by the CPI's own debug line "allocated N MAC(s)
# ... in N us" (lock files, listing, reads; this build only). Also the whole create_vm (ms,
# without the libvirt log). Knobs: KS ("10 100 500"), RUNS (5 per K, kind and build).
set -euo pipefail
[ -n "${1:-}" ] && export BUILD_DIR=$1
BASE=${2:+$(cd "$2" && pwd)/bosh-libvirt-cpi}
source "$(dirname "$0")/world.sh"
KS=${KS:-10 100 500}
RUNS=${RUNS:-5}

world_create mac
cc -O2 -o "$WORLD/delete_vm" "$REPO/bench/floor/delete_vm.c" $(pkg-config --cflags --libs libvirt)
world_request create_vm "$(jq -cn --arg s "$STEMCELL" --argjson p "$VM_PROPS" --argjson n "$NETWORKS" \
	'["bench-agent", $s, $p, $n, [], {}]')" >"$WORLD/create_vm.json"
now_us() { echo "${EPOCHREALTIME/./}"; }

# define KIND FROM TO: idle domains FROM..TO-1 of KIND (disks in the world's pool folder, so the
# world's cleanup removes them; the files do not exist: the domains are never started).
define() {
	local kind=$1 i name u
	for ((i = $2; i < $3; i++)); do
		if [ "$kind" = cpi ]; then u=$(cat /proc/sys/kernel/random/uuid) && name="vm-${u:0:14}8${u:15}"; else name="bench-idle-${POOL#bench-mac-}-$i"; fi
		cat >"$WORLD/idle.xml" <<-XML
			<domain type='qemu'><name>$name</name><memory unit='MiB'>64</memory>
			<os><type arch='x86_64'>hvm</type></os><devices>
			<disk type='file' device='disk'><source file='$POOL_DIR/idle-$kind-$i.qcow2'/><target dev='vda' bus='virtio'/></disk>
			<interface type='network'><source network='$NET'/><mac address='$(printf '52:54:00:e%d:%02x:%02x' $([ "$kind" = cpi ] && echo 1 || echo 2) $((i / 256)) $((i % 256)))'/></interface>
			</devices></domain>
		XML
		$VIRSH define "$WORLD/idle.xml" >/dev/null
		echo "$name" >>"$WORLD/idle-$kind"
	done
}
undefine_all() {
	local d
	[ -f "$WORLD/idle-$1" ] || return 0
	while read -r d; do $VIRSH undefine "$d" >/dev/null; done <"$WORLD/idle-$1"
	rm -f "$WORLD/idle-$1"
}
# one BUILD_LABEL CPI K KIND: one timed create_vm, one with the debug log; appends to results
one() {
	local label=$1 cpi=$2 t0 t1 vm scan own
	t0=$(now_us)
	vm=$(BOSH_LIBVIRT_CPI_LOG_LEVEL=debug "$cpi" --config "$CONFIG" <"$WORLD/create_vm.json" 2>"$WORLD/one.log" | jq -r '.result[0]')
	t1=$(now_us)
	own=$(sed -n 's/.*allocated [0-9]* MAC(s) for VM .* in \([0-9]*\) us.*/\1/p' "$WORLD/one.log" | awk '{printf "%.1f", $1 / 1000}')
	"$WORLD/delete_vm" qemu:///system "$POOL" "$vm" >/dev/null
	vm=$(LIBVIRT_LOG_FILTERS="1:libvirt 4:all" LIBVIRT_LOG_OUTPUTS="1:stderr" "$cpi" --config "$CONFIG" \
		<"$WORLD/create_vm.json" 2>"$WORLD/debug.log" | jq -r '.result[0]')
	"$WORLD/delete_vm" qemu:///system "$POOL" "$vm" >/dev/null
	scan=$(awk '/virConnectListAllDomains:/ && !a {a = $2} a && /virNetworkLookupByName:/ && !b {b = $2} END {
		split(a, x, ":"); split(b, y, ":"); sub(/\+.*/, "", x[3]); sub(/\+.*/, "", y[3])
		printf "%.1f", ((y[1] * 3600 + y[2] * 60 + y[3]) - (x[1] * 3600 + x[2] * 60 + x[3])) * 1000}' "$WORLD/debug.log")
	echo "$label $3 $4 $(((t1 - t0) / 1000)) $scan ${own:--}" >>"$WORLD/results"
}

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
: >"$WORLD/results"
for kind in cpi foreign; do
	have=0
	for k in $KS; do
		echo "K=$k $kind domains" >&2
		define "$kind" "$have" "$k"
		have=$k
		for ((r = 1; r <= RUNS; r++)); do
			one new "$CPI" "$k" "$kind"
			[ -n "$BASE" ] && one base "$BASE" "$k" "$kind"
		done
	done
	undefine_all "$kind"
done

med() { sort -n | awk '{v[NR] = $1} END {printf "%s", NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
echo "load average before/after: $load_before / $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| domains defined | kind | allocation, libvirt log (ms, median) | allocation, own timer (ms, median) | create_vm (ms, median) |$([ -n "$BASE" ] && echo " base: allocation, libvirt log (ms) | base: create_vm (ms) |")"
echo "|---|---|---|---|---|$([ -n "$BASE" ] && echo "---|---|")"
for kind in cpi foreign; do
	for k in $KS; do
		row="| $k | $kind | $(awk -v k="$k" -v t="$kind" '$1 == "new" && $2 == k && $3 == t {print $5}' "$WORLD/results" | med) | $(awk -v k="$k" -v t="$kind" '$1 == "new" && $2 == k && $3 == t {print $6}' "$WORLD/results" | med) | $(awk -v k="$k" -v t="$kind" '$1 == "new" && $2 == k && $3 == t {print $4}' "$WORLD/results" | med) |"
		[ -n "$BASE" ] && row+=" $(awk -v k="$k" -v t="$kind" '$1 == "base" && $2 == k && $3 == t {print $5}' "$WORLD/results" | med) | $(awk -v k="$k" -v t="$kind" '$1 == "base" && $2 == k && $3 == t {print $4}' "$WORLD/results" | med) |"
		echo "$row"
	done
done
echo
echo "RUNS=$RUNS per K, kind and build (interleaved); other domains on the host: $($VIRSH list --all --name | grep -c . || true)"
