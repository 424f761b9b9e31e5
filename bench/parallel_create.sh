#!/bin/bash
# Scaling: N create_vm processes started at once (the Director creating a deployment's VMs),
# wall time until the last one returns, for N = 1, 4, 8, 16; the same with N floor programs
# (bench/floor/create_vm.c: the same libvirt calls, no CPI) to show what the host itself allows.
# Then one create_vm (and one has_vm) with K more domains defined on the host (K = 0, 50, 100,
# 200 shut-off domains with a NIC each): create_vm reads every domain's definition to keep MACs
# unique, so its cost grows with the number of VMs on the host.
#
#   bench/parallel_create.sh [BUILD_DIR]
#
# Every VM is a 128 MiB TCG guest that starts booting as soon as its domain runs (create_vm does
# not wait for it); all of a round's VMs are deleted right after the round, before the next one.
# Target: 16 at once in <= 3x the time of one (CPI medians).
# Prints markdown tables on stdout; progress on stderr. Knobs: NS ("1 4 8 16"), REPS (3),
# KS ("0 50 100 200"), RUNS_K (5).
set -euo pipefail
[ -n "${1:-}" ] && export BUILD_DIR=$1
source "$(dirname "$0")/world.sh"
NS=${NS:-1 4 8 16}
REPS=${REPS:-3}
KS=${KS:-0 50 100 200}
RUNS_K=${RUNS_K:-5}

world_create par
for p in create_vm delete_vm timeit; do
	cc -O2 -o "$WORLD/$p" "$REPO/bench/floor/$p.c" $(pkg-config --cflags --libs libvirt)
done
world_request create_vm "$(jq -cn --arg s "$STEMCELL" --argjson p "$VM_PROPS" --argjson n "$NETWORKS" \
	'["bench-agent", $s, $p, $n, [], {}]')" >"$WORLD/create_vm.json"
vm=$(world_create_vm)
iso_bytes=$($VIRSH vol-info --bytes --pool "$POOL" "$vm-config" | awk '/Capacity/ {print $2}')
world_call delete_vm "[\"$vm\"]" >/dev/null

now_us() { echo "${EPOCHREALTIME/./}"; }
# Host CPU time spent so far, all CPUs, in 1/100 s (user, nice, system, irq, softirq, steal):
# what the CPI processes, libvirtd and the starting qemu processes consumed together.
cpu_busy() { awk '/^cpu / {print $2 + $3 + $4 + $7 + $8 + $9}' /proc/stat; }
CPUS=$(nproc)
# Deletes every VM of the round at once (untimed), then lets the host settle.
delete_all() {
	local vm
	for vm in "$@"; do "$WORLD/delete_vm" qemu:///system "$POOL" "$vm" >/dev/null & done
	wait
	sleep 2
}
# cpi_round N: appends "N wall_ms" to cpi.times
cpi_round() {
	local n=$1 i t0 t1 vms=()
	rm -rf "$WORLD/out" && mkdir "$WORLD/out"
	c0=$(cpu_busy)
	t0=$(now_us)
	for ((i = 0; i < n; i++)); do
		"$CPI" --config "$CONFIG" <"$WORLD/create_vm.json" >"$WORLD/out/$i.json" 2>>"$WORLD/cpi.log" &
	done
	wait
	t1=$(now_us)
	c1=$(cpu_busy)
	for ((i = 0; i < n; i++)); do
		vm=$(jq -r '.result[0] // empty' "$WORLD/out/$i.json")
		[ -n "$vm" ] || { echo "create_vm failed: $(cat "$WORLD/out/$i.json")" >&2; exit 1; }
		vms+=("$vm")
	done
	echo "$n $(((t1 - t0) / 1000)) $(((c1 - c0) * 10))" >>"$WORLD/cpi.times"
	delete_all "${vms[@]}"
}
floor_round() {
	local n=$1 i t0 t1 vms=()
	for ((i = 0; i < n; i++)); do vms+=("vm-$(cat /proc/sys/kernel/random/uuid)"); done
	c0=$(cpu_busy)
	t0=$(now_us)
	for ((i = 0; i < n; i++)); do
		"$WORLD/create_vm" qemu:///system "$POOL" "$STEMCELL" "$NET" "${vms[$i]}" \
			"$(printf '52:54:00:fe:%02x:%02x' "$n" "$i")" "$WORLD/console/${vms[$i]}.console.log" \
			"$iso_bytes" 64 >/dev/null &
	done
	wait
	t1=$(now_us)
	c1=$(cpu_busy)
	echo "$n $(((t1 - t0) / 1000)) $(((c1 - c0) * 10))" >>"$WORLD/floor.times"
	delete_all "${vms[@]}"
}

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
for n in $NS; do
	for ((r = 1; r <= REPS; r++)); do
		echo "N=$n round $r/$REPS" >&2
		if ((r % 2)); then cpi_round "$n"; floor_round "$n"; else floor_round "$n"; cpi_round "$n"; fi
	done
done

# stats FILE N [COLUMN] -> "min median max" (column 2: wall ms; 3: host CPU busy ms)
stats() {
	awk -v n="$2" -v c="${3:-2}" '$1 == n {print $c}' "$1" | sort -n | awk '{v[NR] = $1} END {
		m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
		printf "%d %.0f %d\n", v[1], m, v[NR]}'
}
first=${NS%% *}
cpi1=$(stats "$WORLD/cpi.times" "$first" | awk '{print $2}')
floor1=$(stats "$WORLD/floor.times" "$first" | awk '{print $2}')
echo "load average before/after: $load_before / $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| N at once | create_vm min (ms) | median (ms) | max (ms) | median / N=$first | floor min (ms) | floor median (ms) | floor max (ms) | floor median / N=$first |"
echo "|---|---|---|---|---|---|---|---|---|"
for n in $NS; do
	read -r cmin cmed cmax <<<"$(stats "$WORLD/cpi.times" "$n")"
	read -r fmin fmed fmax <<<"$(stats "$WORLD/floor.times" "$n")"
	awk -v n="$n" -v a="$cmin" -v b="$cmed" -v c="$cmax" -v d="$fmin" -v e="$fmed" -v f="$fmax" \
		-v c1="$cpi1" -v f1="$floor1" \
		'BEGIN {printf "| %d | %d | %d | %d | %.1fx | %d | %d | %d | %.1fx |\n", n, a, b, c, b / c1, d, e, f, e / f1}'
done
echo
echo "REPS=$REPS rounds per N; target: 16 at once <= 3x one (CPI medians)"
echo
echo "Host CPU during each round (all processes: CPI or floor, libvirtd, the qemu processes starting"
echo "and their guests booting), medians; utilisation = busy / ($CPUS CPUs x wall):"
echo
echo "| N at once | create_vm: host CPU busy (s) | utilisation | per VM (s) | floor: host CPU busy (s) | utilisation | per VM (s) |"
echo "|---|---|---|---|---|---|---|"
for n in $NS; do
	cb=$(stats "$WORLD/cpi.times" "$n" 3 | awk '{print $2}') cw=$(stats "$WORLD/cpi.times" "$n" | awk '{print $2}')
	fb=$(stats "$WORLD/floor.times" "$n" 3 | awk '{print $2}') fw=$(stats "$WORLD/floor.times" "$n" | awk '{print $2}')
	awk -v n="$n" -v cb="$cb" -v cw="$cw" -v fb="$fb" -v fw="$fw" -v k="$CPUS" \
		'BEGIN {printf "| %d | %.2f | %.0f%% | %.2f | %.2f | %.0f%% | %.2f |\n", n, cb / 1000, 100 * cb / (k * cw), cb / 1000 / n, fb / 1000, 100 * fb / (k * fw), fb / 1000 / n}'
done

# --- Part 2: one create_vm / has_vm with K idle domains defined (not running) -----------------
idle=0
define_idle() {
	local i
	for ((i = idle; i < $1; i++)); do
		cat >"$WORLD/idle.xml" <<-XML
			<domain type='qemu'><name>bench-idle-${POOL#bench-par-}-$i</name><memory unit='MiB'>128</memory>
			<os><type arch='x86_64'>hvm</type></os><devices>
			<disk type='file' device='disk'><source file='$POOL_DIR/idle-$i.qcow2'/><target dev='vda' bus='virtio'/></disk>
			<interface type='network'><source network='$NET'/><mac address='$(printf '52:54:00:ee:%02x:%02x' $((i / 256)) $((i % 256)))'/></interface>
			</devices></domain>
		XML
		$VIRSH define "$WORLD/idle.xml" >/dev/null
	done
	idle=$1
}
echo "part 2: create_vm with K idle domains defined" >&2
: >"$WORLD/k.times"
for k in $KS; do
	define_idle "$k"
	total=$($VIRSH list --all --name | grep -c . || true)
	for ((r = 1; r <= RUNS_K; r++)); do
		t0=$(now_us)
		vm=$("$CPI" --config "$CONFIG" <"$WORLD/create_vm.json" 2>>"$WORLD/cpi.log" | jq -r '.result[0]')
		t1=$(now_us)
		echo "$k $(((t1 - t0) / 1000))" >>"$WORLD/k.times"
		world_request has_vm "[\"$vm\"]" >"$WORLD/has_vm.json"
		"$WORLD/delete_vm" qemu:///system "$POOL" "$vm" >/dev/null
	done
	# One more, with libvirt's client debug log: the MAC scan is the time from listing the domains
	# to the network lookup that follows it (all of it under the MAC lock).
	vm=$(LIBVIRT_LOG_FILTERS="1:libvirt 4:all" LIBVIRT_LOG_OUTPUTS="1:stderr" "$CPI" --config "$CONFIG" \
		<"$WORLD/create_vm.json" 2>"$WORLD/debug.log" | jq -r '.result[0]')
	"$WORLD/delete_vm" qemu:///system "$POOL" "$vm" >/dev/null
	scan=$(awk '/virConnectListAllDomains:/ && !a {a = $2} /virNetworkLookupByName:/ && !b {b = $2} END {
		split(a, x, ":"); split(b, y, ":"); sub(/\+.*/, "", x[3]); sub(/\+.*/, "", y[3])
		printf "%.0f", ((y[1] * 3600 + y[2] * 60 + y[3]) - (x[1] * 3600 + x[2] * 60 + x[3])) * 1000}' "$WORLD/debug.log")
	world_request has_vm '["vm-00000000-0000-4000-8000-000000000000"]' >"$WORLD/has_vm.json"
	has=$("$WORLD/timeit" -r 10 -w 1 has_vm "$WORLD/has_vm.json" '"result":false' "$CPI" --config "$CONFIG" | awk '{print $4}')
	echo "$k $total $has $scan" >>"$WORLD/k.info"
done
echo
echo "| idle domains added (all domains on the host) | create_vm min (ms) | median (ms) | max (ms) | of which MAC scan (ms, 1 run) | has_vm median (ms) |"
echo "|---|---|---|---|---|---|"
for k in $KS; do
	read -r cmin cmed cmax <<<"$(stats "$WORLD/k.times" "$k")"
	read -r _ total has scan <<<"$(awk -v k="$k" '$1 == k' "$WORLD/k.info")"
	echo "| $k ($total) | $cmin | $cmed | $cmax | $scan | $has |"
done
echo
echo "RUNS_K=$RUNS_K create_vm per K (each deleted before the next)"
