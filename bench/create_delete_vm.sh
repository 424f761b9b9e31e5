#!/bin/bash
# create_vm (without waiting for the guest) and delete_vm (a running VM with 2 persistent disks),
# whole processes, each beside its floor: bench/floor/create_vm.c and bench/floor/delete_vm.c,
# minimal C programs making the same libvirt calls with everything precomputed.
#
#   bench/create_delete_vm.sh [BUILD_DIR]
#
# One round: CPI create_vm (timed) -> attach 2 persistent disks (CPI attach_disk, untimed) ->
# CPI delete_vm (timed); then the same with the floor programs (the same disks, attached by the
# CPI). Rounds alternate which goes first, so drift in the machine's load hits both alike. Every
# VM is deleted before the next create, so no booting guest competes with a measured create.
# Targets: create_vm <= 1.2x floor, delete_vm <= 1.2x floor (medians).
# libvirt's destroy returns only once qemu's zombie is reaped, by init (qemu is daemonized). Where
# init reaps late (PID 1 here reaps every 3 s) that wait is a random 0-3 s of every delete, for
# the CPI and the floor alike: bench/floor/reap_watch.c records it during each delete, and the
# table also shows each delete with that wait taken out.
# Prints a markdown table on stdout; progress on stderr. Knobs: RUNS (10).
set -euo pipefail
[ -n "${1:-}" ] && export BUILD_DIR=$1
source "$(dirname "$0")/world.sh"
RUNS=${RUNS:-10}

world_create cdv
for p in create_vm delete_vm reap_watch; do
	cc -O2 -o "$WORLD/$p" "$REPO/bench/floor/$p.c" $(pkg-config --cflags --libs libvirt)
done
world_request create_vm "$(jq -cn --arg s "$STEMCELL" --argjson p "$VM_PROPS" --argjson n "$NETWORKS" \
	'["bench-agent", $s, $p, $n, [], {}]')" >"$WORLD/create_vm.json"
disk1=$(world_call create_disk '[64, {}, null]' | jq -r .)
disk2=$(world_call create_disk '[64, {}, null]' | jq -r .)

# Warm-up (untimed): one CPI VM, whose config drive tells the floor how many bytes to upload.
vm=$(world_create_vm)
iso_bytes=$($VIRSH vol-info --bytes --pool "$POOL" "$vm-config" | awk '/Capacity/ {print $2}')
world_call delete_vm "[\"$vm\"]" >/dev/null

now_us() { echo "${EPOCHREALTIME/./}"; }
attach_disks() {
	world_call attach_disk "[\"$1\", \"$disk1\"]" >/dev/null
	world_call attach_disk "[\"$1\", \"$disk2\"]" >/dev/null
}
# watch VM: starts bench/floor/reap_watch on the VM's qemu in the background.
watch() { "$WORLD/reap_watch" "$(cat "/run/libvirt/qemu/$1.pid")" >"$WORLD/reap.out" & watcher=$!; }
# reap_wait: sets wait_ms, how long qemu stayed a zombie during the last watched delete.
reap_wait() { wait "$watcher"; wait_ms=$(awk '{print int(($2 - $1) / 1000)}' "$WORLD/reap.out"); }
# Each appends one line "create_ms delete_ms delete_minus_reap_wait_ms" to its file.
round_cpi() {
	local t0 t1 t2 t3 response vm
	t0=$(now_us)
	response=$("$CPI" --config "$CONFIG" <"$WORLD/create_vm.json" 2>>"$WORLD/cpi.log")
	t1=$(now_us)
	vm=$(jq -r '.result[0] // empty' <<<"$response")
	[ -n "$vm" ] || { echo "create_vm failed: $response" >&2; return 1; }
	attach_disks "$vm"
	world_request delete_vm "[\"$vm\"]" >"$WORLD/delete_vm.json"
	watch "$vm"
	t2=$(now_us)
	response=$("$CPI" --config "$CONFIG" <"$WORLD/delete_vm.json" 2>>"$WORLD/cpi.log")
	t3=$(now_us)
	[ "$(jq -c .error <<<"$response")" = null ] || { echo "delete_vm failed: $response" >&2; return 1; }
	local wait_ms
	reap_wait
	echo "$(((t1 - t0) / 1000)) $(((t3 - t2) / 1000)) $(((t3 - t2) / 1000 - wait_ms))" >>"$WORLD/cpi.times"
}
round_floor() {
	local t0 t1 t2 t3 vm mac
	vm=vm-$(cat /proc/sys/kernel/random/uuid)
	mac=$(printf '52:54:00:fe:%02x:%02x' $((RANDOM % 256)) $((RANDOM % 256)))
	t0=$(now_us)
	"$WORLD/create_vm" qemu:///system "$POOL" "$STEMCELL" "$NET" "$vm" "$mac" \
		"$WORLD/console/$vm.console.log" "$iso_bytes" 64 >/dev/null
	t1=$(now_us)
	attach_disks "$vm"
	watch "$vm"
	t2=$(now_us)
	"$WORLD/delete_vm" qemu:///system "$POOL" "$vm" >/dev/null
	t3=$(now_us)
	local wait_ms
	reap_wait
	echo "$(((t1 - t0) / 1000)) $(((t3 - t2) / 1000)) $(((t3 - t2) / 1000 - wait_ms))" >>"$WORLD/floor.times"
}

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
for ((r = 1; r <= RUNS; r++)); do
	echo "round $r/$RUNS" >&2
	if ((r % 2)); then round_cpi; round_floor; else round_floor; round_cpi; fi
done

# stats FILE COLUMN -> "min median max"
stats() {
	awk -v c="$2" '{print $c}' "$1" | sort -n | awk '{v[NR] = $1} END {
		m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
		printf "%d %.0f %d\n", v[1], m, v[NR]}'
}
row() { read -r min med max <<<"$(stats "$2" "$3")"; echo "| $1 | $min | $med | $max | $RUNS |"; }
median() { stats "$1" "$2" | awk '{print $2}'; }
echo "load average before/after: $load_before / $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| command (whole process) | min (ms) | median (ms) | max (ms) | runs |"
echo "|---|---|---|---|---|"
row "\`create_vm\` (1 NIC, 64 MiB ephemeral, config drive; returns once the domain runs)" "$WORLD/cpi.times" 1
row "floor: \`bench/floor/create_vm.c\` (the same libvirt calls)" "$WORLD/floor.times" 1
row "\`delete_vm\` (running VM, 2 persistent disks attached)" "$WORLD/cpi.times" 2
row "floor: \`bench/floor/delete_vm.c\` (destroy + undefine + 3 volume deletes)" "$WORLD/floor.times" 2
row "\`delete_vm\`, without the wait for init to reap qemu" "$WORLD/cpi.times" 3
row "floor, without the wait for init to reap qemu" "$WORLD/floor.times" 3
echo
awk -v a="$(median "$WORLD/cpi.times" 1)" -v b="$(median "$WORLD/floor.times" 1)" \
	'BEGIN {printf "ratio create_vm / floor (medians): %.2f (target <= 1.2)\n", a / b}'
awk -v a="$(median "$WORLD/cpi.times" 2)" -v b="$(median "$WORLD/floor.times" 2)" \
	'BEGIN {printf "ratio delete_vm / floor (medians): %.2f (target <= 1.2)\n", a / b}'
awk -v a="$(median "$WORLD/cpi.times" 3)" -v b="$(median "$WORLD/floor.times" 3)" \
	'BEGIN {printf "ratio delete_vm / floor without the reap wait (medians): %.2f\n", a / b}'
cat "$WORLD/cpi.times" "$WORLD/floor.times" | awk '{w = $2 - $3; s += w; if (w > m) m = w} END {
	printf "wait for init to reap qemu, over all deletes: mean %.0f ms, max %d ms\n", s / NR, m}'
