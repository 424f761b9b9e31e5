#!/bin/bash
# Contention: N create_vm processes started at once (the Director creating a deployment's VMs
# with max_in_flight N), wall time until the last one returns, for N = 1, 2, 4, 8, 16; the same
# with N floor programs (bench/floor/create_vm.c: the same libvirt calls, no CPI) in the same
# run, rounds interleaved. The figure is the ratio CPI / floor at each N: what the CPI adds under
# contention (target at 16: <= 1.1x). Writes the curve as an SVG and a PNG with gnuplot (PLOT,
# default /var/tmp/bosh-cpi-parallel-create.svg, and .png beside it) when gnuplot is installed.
#
#   bench/parallel_create.sh [BUILD_DIR]
#
# Every VM is a 128 MiB TCG guest that starts booting as soon as its domain runs (create_vm does
# not wait for it); all of a round's VMs are deleted right after the round, before the next one.
# How the MAC allocation grows with the domains on the host: bench/mac_allocation.sh.
# Prints markdown tables on stdout; progress on stderr. Knobs: NS ("1 2 4 8 16"), REPS (3), PLOT.
set -euo pipefail
[ -n "${1:-}" ] && export BUILD_DIR=$1
source "$(dirname "$0")/world.sh"
NS=${NS:-1 2 4 8 16}
REPS=${REPS:-3}
PLOT=${PLOT:-/var/tmp/bosh-cpi-parallel-create.svg}

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
	# Named as the CPI names its VMs (UUID version 8: MACs derived from the name), so that the
	# floor's MAC scans, like the CPI's, need not read each other's definitions.
	for ((i = 0; i < n; i++)); do u=$(cat /proc/sys/kernel/random/uuid) && vms+=("vm-${u:0:14}8${u:15}"); done
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
echo "| N at once | create_vm min (ms) | median (ms) | max (ms) | floor min (ms) | floor median (ms) | floor max (ms) | **CPI / floor** (medians) | CPI median / N=$first | floor median / N=$first |"
echo "|---|---|---|---|---|---|---|---|---|---|"
: >"$WORLD/curve.dat"
for n in $NS; do
	read -r cmin cmed cmax <<<"$(stats "$WORLD/cpi.times" "$n")"
	read -r fmin fmed fmax <<<"$(stats "$WORLD/floor.times" "$n")"
	echo "$n $cmed $fmed $cmin $cmax $fmin $fmax" >>"$WORLD/curve.dat"
	awk -v n="$n" -v a="$cmin" -v b="$cmed" -v c="$cmax" -v d="$fmin" -v e="$fmed" -v f="$fmax" \
		-v c1="$cpi1" -v f1="$floor1" \
		'BEGIN {printf "| %d | %d | %d | %d | %d | %d | %d | **%.2fx** | %.1fx | %.1fx |\n", n, a, b, c, d, e, f, b / e, b / c1, e / f1}'
done
echo
echo "REPS=$REPS rounds per N, CPI and floor rounds interleaved (odd rounds CPI first)"
last=${NS##* }
echo
awk -v n="$last" '$1 == n {printf "ratio %d create_vm at once / %d floor programs at once (medians): %.2f (target <= 1.1)\n", n, n, $2 / $3}' "$WORLD/curve.dat"
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

# plot_curve DATA OUT.svg: the curve (columns of DATA: N, CPI median, floor median, CPI min, CPI
# max, floor min, floor max) as an SVG and a PNG beside it.
plot_curve() {
	gnuplot <<-GP
		set terminal svg size 760,440 dynamic font "sans,12"
		set output "$2"
		set title "N create\\\\_vm at once: wall time until the last returns (median of $REPS, min-max bars)"
		set xlabel "N in flight"
		set ylabel "wall time (ms)"
		set y2label "CPI / floor (medians)"
		set logscale x 2
		set xrange [0.8:20]
		set xtics ($(echo "$NS" | sed 's/\([0-9]\+\)/"\1" \1/g; s/ "/, "/g'))
		set y2range [0:2]
		set y2tics 0.25
		set ytics nomirror
		set key outside below
		set grid
		plot "$1" using 1:2:4:5 with yerrorlines lw 2 title "bosh-libvirt-cpi create\\\\_vm", \
		     "" using 1:3:6:7 with yerrorlines lw 2 title "floor (bench/floor/create\\\\_vm.c)", \
		     "" using 1:(\$2/\$3) axes x1y2 with linespoints dt 2 lw 2 title "CPI / floor (right axis)", \
		     1.1 axes x1y2 with lines dt 4 lw 1.5 lc rgb "red" title "target: CPI / floor <= 1.1"
		set terminal pngcairo size 760,440 font "sans,10"
		set output "${2%.svg}.png"
		replot
	GP
}
if command -v gnuplot >/dev/null; then
	plot_curve "$WORLD/curve.dat" "$PLOT"
	cp "$WORLD/curve.dat" "${PLOT%.svg}.dat"
	echo
	echo "curve: $PLOT, ${PLOT%.svg}.png (data: ${PLOT%.svg}.dat)"
fi
