#!/bin/bash
# Soak (opt-in; never run by bench/run.sh or CI): WORKERS (64) CPI processes in flight at once for
# DURATION (600) seconds, as a Director with max_in_flight 64 would run them. Each worker loops
# over a VM's life, one call at a time, each call a new CPI process with its request on stdin:
#
#   create_vm (static IP of its own, 1 NIC, ephemeral disk) -> set_vm_metadata -> has_vm (true)
#   -> create_disk -> attach_disk -> set_disk_metadata -> snapshot_disk -> delete_snapshot
#   -> [odd lives: the guest powered off (virsh destroy); even lives: only if the guest has booted]
#   detach_disk -> delete_disk -> delete_vm -> (delete_disk if not detached) -> has_vm (false)
#
# A failure answered with ok_to_retry is retried (up to 5 times, 1 s apart, as the Director does);
# any other failure is counted and the worker cleans up what it made and goes on. Bounded: no
# worker starts a new life after DURATION, none makes more than LIVES (1000) lives, every call is
# killed after 900 s (reported). New VMs wait while the host has less than 3 GiB available.
#
#   bench/soak.sh [BUILD_DIR]
#
# Then it checks, and prints as markdown:
# - every answer is a valid envelope ({result, error, log}, error null or {type, message,
#   ok_to_retry}); every failure was retryable; the retries succeeded;
# - nothing leaked: `cleanup --dry-run --min-age 0` on the soak's pool lists nothing; no domain of
#   the soak and no volume but the stemcell's are left; the lock folder is empty;
# - no MAC, IP or disk serial was used by two VMs alive at the same time (from each VM's domain XML
#   read while it lived, over every VM created), and each VM's settings carry its own IP;
# - calls per minute, p50/p99 wall time per method, failures per method;
# - CPU (user + sys, GNU time) of each create_vm process under the load against create_vm alone
#   (ALONE=10 create_vm one after the other before the soak, in the same world).
# Raw records stay in /var/tmp/bosh-cpi-soak-<time>/ (KEEP=0 removes them).
# Guests: TCG (domain_type qemu), MEMORY (64) MiB, 64 MiB ephemeral disk, the test stemcell.
set -euo pipefail
TIMEFORMAT='%3U %3S'
[ -n "${1:-}" ] && export BUILD_DIR=$1
source "$(dirname "$0")/world.sh"
WORKERS=${WORKERS:-64}
DURATION=${DURATION:-600}
LIVES=${LIVES:-1000}
MEMORY=${MEMORY:-64}
ALONE=${ALONE:-10}
RAW=${RAW:-/var/tmp/bosh-cpi-soak-$(date -u +%Y%m%d-%H%M%S)}
VM_PROPS=$(jq -cn --argjson m "$MEMORY" '{cpu: 1, memory: $m, ephemeral_disk: {size: 64}}')
[ "$WORKERS" -le 200 ] || { echo "WORKERS must be <= 200 (one static IP each)" >&2; exit 2; }

world_create soak
mkdir -p "$RAW"
echo "soak: $WORKERS workers for $DURATION s, raw records in $RAW" >&2
now_us() { echo "${EPOCHREALTIME/./}"; }

# call W METHOD ARGS: one CPI process; its response in $WORLD/w$W.out. Appends to $RAW/calls:
#   worker method start_us wall_us user_s sys_s outcome(ok|retryable|fatal|invalid|killed) try
# Retries retryable failures; returns 1 when the call failed for good.
call() {
	local w=$1 m=$2 a=$3 try t0 t1 rc outcome cpu
	local out=$WORLD/w$w.out tf=$WORLD/w$w.time req
	req=$(world_request "$m" "$a")
	for try in 1 2 3 4 5 6; do
		t0=$(now_us)
		rc=0
		# bash's `time`: user and sys of the children (getrusage), in ms; timeout's own share is
		# about 1 ms, the same alone and under load.
		{ time timeout -s KILL 900 "$CPI" --config "$CONFIG" <<<"$req" >"$out" 2>>"$WORLD/w$w.log" || rc=$?; } 2>"$tf"
		t1=$(now_us)
		cpu=$(tail -n 1 "$tf" 2>/dev/null)
		[[ "$cpu" =~ ^[0-9.]+\ [0-9.]+$ ]] || cpu="0 0"
		outcome=$(jq -r '
			if type != "object" or (keys != ["error", "log", "result"]) or (.log | type) != "string" then "invalid"
			elif .error == null then "ok"
			elif (.error | type) != "object" or (.error.type | type) != "string" or (.error.message | type) != "string"
			     or (.error.ok_to_retry | type) != "boolean" or .result != null then "invalid"
			elif .error.ok_to_retry then "retryable"
			else "fatal" end' "$out" 2>/dev/null) || outcome=invalid
		[ "$rc" = 137 ] && outcome=killed
		echo "$w $m $t0 $((t1 - t0)) $cpu $outcome $try" >>"$RAW/calls"
		if [ "$outcome" != ok ]; then
			printf '%s worker %s %s try %s: %s\n' "$(date -u +%T)" "$w" "$m" "$try" "$(head -c 600 "$out")" >>"$RAW/failures"
		fi
		case $outcome in
			ok) return 0 ;;
			retryable) sleep 1 ;;
			*) return 1 ;;
		esac
	done
	return 1
}
result() { jq -c .result "$WORLD/w$1.out"; }

# booted VM: whether the guest wrote its first console report (its init runs).
booted() { grep -qs '^BOSH-TEST ' "$WORLD/console/$1.console.log"; }

wait_for_memory() {
	while [ "$(awk '/MemAvailable/ {print int($2 / 1024)}' /proc/meminfo)" -lt 3072 ]; do
		echo "$(date -u +%T) worker $1 waits for memory" >>"$RAW/memory-waits"
		sleep 2
	done
}

# The create_vm networks argument: one manual network with a static IP, as the Director sends it.
manual_network() {
	jq -cn --arg ip "$1" --arg s "$SUBNET" --arg n "$NET" '{default: {type: "manual", ip: $ip,
		netmask: "255.255.255.0", gateway: ($s + ".1"), dns: [($s + ".1")], default: ["dns", "gateway"],
		cloud_properties: {network: $n}}}'
}

# life W N: one VM's life. Appends "vm start_us end_us ip settings_ip macs serials" to $RAW/vms.
life() {
	local w=$1 n=$2 ip=$SUBNET.$((10 + $1)) nets vm="" disk="" snap xml t0 got_ip
	nets=$(manual_network "$ip")
	wait_for_memory "$w"
	t0=$(now_us)
	if call "$w" create_vm "$(jq -cn --arg s "$STEMCELL" --argjson p "$VM_PROPS" --argjson n "$nets" \
		--arg a "soak-$w-$n" '[$a, $s, $p, $n, [], {}]')"; then
		vm=$(jq -r '.result[0]' "$WORLD/w$w.out")
		got_ip=$(jq -r '.result[1].default.ip // "none"' "$WORLD/w$w.out")
		echo "$vm" >>"$RAW/vm-cids"
		call "$w" set_vm_metadata "$(jq -cn --arg v "$vm" --arg w "$w" --arg n "$n" \
			'[$v, {deployment: "soak", job: ("w" + $w), index: $n, director: "soak"}]')" || true
		if call "$w" has_vm "[\"$vm\"]" && [ "$(result "$w")" != true ]; then
			echo "$(date -u +%T) worker $w: has_vm of live $vm answered $(result "$w")" >>"$RAW/wrong"
		fi
		if call "$w" create_disk "[64, {}, \"$vm\"]"; then
			disk=$(jq -r .result "$WORLD/w$w.out")
			echo "$disk" >>"$RAW/disk-cids"
			if call "$w" attach_disk "[\"$vm\", \"$disk\"]"; then
				# What this VM uses while it lives: MACs and serials of its persistent definition.
				xml=$($VIRSH dumpxml --inactive "$vm" 2>/dev/null || true)
				echo "$vm $t0 $ip $got_ip $(grep -o "mac address='[^']*'" <<<"$xml" | cut -d"'" -f2 | paste -sd, -) $(grep -o '<serial>[^<]*</serial>' <<<"$xml" | sed 's/<[^>]*>//g' | paste -sd, -)" >>"$WORLD/w$w.alive"
				call "$w" set_disk_metadata "$(jq -cn --arg d "$disk" '[$d, {deployment: "soak", attached: "yes"}]')" || true
				if call "$w" snapshot_disk "[\"$disk\", {}]"; then
					snap=$(jq -r .result "$WORLD/w$w.out")
					call "$w" delete_snapshot "[\"$snap\"]" || true
				fi
				# The Director detaches only from a guest whose agent runs (it unmounted the disk):
				# a TCG guest still booting does not answer the unplug. So every other life powers
				# its guest off first (as a guest that shut itself down: libvirt's destroy, not a
				# CPI call) and detaches from the stopped VM; the others detach when the guest has
				# booted by now, else keep the disk to delete_vm (the CLI's order: delete_vm keeps
				# persistent disks, delete_disk follows).
				if ((n % 2)); then
					$VIRSH destroy "$vm" >/dev/null 2>&1 || true
					echo "detach (powered off)" >>"$RAW/detaches"
				elif booted "$vm"; then
					echo "detach (running)" >>"$RAW/detaches"
				else
					echo "not booted" >>"$RAW/detaches"
				fi
				if ! grep -qx "not booted" <(tail -n 1 "$RAW/detaches"); then
					call "$w" detach_disk "[\"$vm\", \"$disk\"]" && call "$w" delete_disk "[\"$disk\"]" && disk=""
				fi
			fi
		fi
		call "$w" delete_vm "[\"$vm\"]" || true
		[ -n "$disk" ] && { call "$w" delete_disk "[\"$disk\"]" || true; }
		if call "$w" has_vm "[\"$vm\"]" && [ "$(result "$w")" != false ]; then
			echo "$(date -u +%T) worker $w: has_vm of deleted $vm answered $(result "$w")" >>"$RAW/wrong"
		fi
		if [ -f "$WORLD/w$w.alive" ]; then
			awk -v e="$(now_us)" '{print $1, $2, e, $3, $4, $5, $6}' "$WORLD/w$w.alive" >>"$RAW/vms"
			rm -f "$WORLD/w$w.alive"
		fi
	fi
}

worker() {
	local w=$1 n=0
	while ((n < LIVES)) && (($(date +%s) < END)); do
		life "$w" "$n"
		n=$((n + 1))
	done
}

# --- create_vm alone: its CPU per process, same world, one at a time ---------------------------
: >"$RAW/calls"
load_alone=$(cut -d' ' -f1-3 /proc/loadavg)
for ((i = 0; i < ALONE; i++)); do
	call alone create_vm "$(jq -cn --arg s "$STEMCELL" --argjson p "$VM_PROPS" --argjson n "$(manual_network "$SUBNET.9")" \
		'["soak-alone", $s, $p, $n, [], {}]')"
	vm=$(jq -r '.result[0]' "$WORLD/walone.out")
	call alone delete_vm "[\"$vm\"]"
done
mv "$RAW/calls" "$RAW/alone"

# --- the soak -----------------------------------------------------------------------------------
: >"$RAW/calls"
: >"$RAW/vms"
(while sleep 15; do echo "$(date +%s) $(cut -d' ' -f1 /proc/loadavg) $(awk '/MemAvailable/ {print int($2 / 1024)}' /proc/meminfo) $(pgrep -c -x bosh-libvirt-cp || true)"; done) >"$RAW/load" &
sampler=$!
START=$(date +%s)
END=$((START + DURATION))
for ((w = 0; w < WORKERS; w++)); do worker "$w" & done
wait $(jobs -p | grep -vx "$sampler")
STOP=$(date +%s)
kill "$sampler" 2>/dev/null || true

# --- checks -------------------------------------------------------------------------------------
cleanup_out=$("$CPI" cleanup --dry-run --min-age 0 --config "$CONFIG" 2>"$RAW/cleanup.err") || true
echo "$cleanup_out" >"$RAW/cleanup.out"
left_domains=$(world_domains | paste -sd' ' -)
left_volumes=$($VIRSH vol-list "$POOL" | awk '{print $1}' | grep -v -x -e "$STEMCELL" -e "$STEMCELL-props" | paste -sd' ' - || true)
left_locks=$(ls -A "$WORLD/locks" | paste -sd' ' - || true)
cp "$WORLD"/w*.log "$RAW/" 2>/dev/null || true

export RAW START STOP WORKERS DURATION
python3 - <<'PY'
import collections, math, os, statistics
raw = os.environ["RAW"]
calls = [l.split() for l in open(f"{raw}/calls")]
alone = [l.split() for l in open(f"{raw}/alone")]
start, stop = int(os.environ["START"]), int(os.environ["STOP"])
minutes = (stop - start) / 60

def pct(values, p):
    v = sorted(values)
    return v[min(len(v) - 1, max(0, math.ceil(p / 100 * len(v)) - 1))]  # nearest rank

by = collections.defaultdict(list)
outcomes = collections.Counter()
per_method = collections.defaultdict(collections.Counter)
for w, m, t0, wall, user, sys_, outcome, attempt in calls:
    by[m].append(int(wall) / 1000)
    outcomes[outcome] += 1
    per_method[m][outcome] += 1
final_failures = 0  # calls that never succeeded: a non-retryable answer, or 6 retryable ones
last = {}
for w, m, t0, wall, user, sys_, outcome, attempt in calls:
    if outcome in ("fatal", "invalid", "killed") or (outcome == "retryable" and attempt == "6"):
        final_failures += 1
print(f"- soak: {stop - start} s, {len(calls)} CPI processes ({len(calls) / minutes:.0f} per minute), "
      f"outcomes {dict(outcomes)}; calls that failed for good: {final_failures}")
print()
print("| method | calls | p50 (ms) | p99 (ms) | max (ms) | retryable failures | other failures |")
print("|---|---|---|---|---|---|---|")
for m in sorted(by):
    c = per_method[m]
    print(f"| {m} | {len(by[m])} | {pct(by[m], 50):.0f} | {pct(by[m], 99):.0f} | {max(by[m]):.0f} | "
          f"{c['retryable']} | {c['fatal'] + c['invalid'] + c['killed']} |")
print()

def cpu(rows):
    return [float(r[4]) + float(r[5]) for r in rows if r[1] == "create_vm" and r[6] == "ok"]
under, solo = cpu(calls), cpu(alone)
if under and solo:
    print(f"- CPU (user+sys) per create_vm process: alone {statistics.mean(solo) * 1000:.0f} ms mean, "
          f"{statistics.median(solo) * 1000:.0f} ms median ({len(solo)} runs); under the soak "
          f"{statistics.mean(under) * 1000:.0f} ms mean, {statistics.median(under) * 1000:.0f} ms median "
          f"({len(under)} runs); ratio of means {statistics.mean(under) / statistics.mean(solo):.2f}, "
          f"of medians {statistics.median(under) / statistics.median(solo):.2f} (target <= 1.1)")

# Duplicates among VMs alive at the same time, and reuse over the whole soak.
vms = [l.split() for l in open(f"{raw}/vms")]
owners = {"mac": collections.defaultdict(list), "ip": collections.defaultdict(list),
          "serial": collections.defaultdict(list)}
wrong_ip = 0
for row in vms:
    vm, t0, t1, ip, got_ip = row[0], int(row[1]), int(row[2]), row[3], row[4]
    macs = row[5].split(",") if len(row) > 5 and row[5] else []
    serials = row[6].split(",") if len(row) > 6 and row[6] else []
    wrong_ip += ip != got_ip
    for mac in macs: owners["mac"][mac].append((t0, t1, vm))
    owners["ip"][ip].append((t0, t1, vm))
    for s in serials:
        if s != "root": owners["serial"][s].append((t0, t1, vm))  # every root disk's, by design
for kind, table in owners.items():
    overlapping = reused = 0
    for key, lives in table.items():
        if len({v for _, _, v in lives}) > 1: reused += 1
        lives.sort()
        for (a0, a1, av), (b0, b1, bv) in zip(lives, lives[1:]):
            if av != bv and b0 < a1: overlapping += 1
    print(f"- {kind}: {len(table)} distinct over {len(vms)} VMs; used by two VMs alive at once: "
          f"{overlapping}; reused after the first VM was deleted: {reused}")
print(f"- VMs whose create_vm result had another IP than asked: {wrong_ip}")
loads = [l.split() for l in open(f"{raw}/load")]
if loads:
    la = [float(l[1]) for l in loads]; mem = [int(l[2]) for l in loads]; procs = [int(l[3]) for l in loads]
    print(f"- load average (1 min, every 15 s): min {min(la):.1f}, median {statistics.median(la):.1f}, "
          f"max {max(la):.1f}; MemAvailable min {min(mem)} MiB; CPI processes running at a sample: "
          f"median {statistics.median(procs):.0f}, max {max(procs)}")
PY
echo "- answers that were wrong (has_vm): $(cat "$RAW/wrong" 2>/dev/null | wc -l)"
echo "- detach_disk from a powered-off VM: $(grep -cx 'detach (powered off)' "$RAW/detaches" 2>/dev/null || true), from a running booted guest: $(grep -cx 'detach (running)' "$RAW/detaches" 2>/dev/null || true); lives whose guest had not booted yet (disk left attached to delete_vm): $(grep -cx 'not booted' "$RAW/detaches" 2>/dev/null || true)"
echo "- memory waits before create_vm: $(cat "$RAW/memory-waits" 2>/dev/null | wc -l)"
echo "- \`cleanup --dry-run --min-age 0\` lines: $(grep -c . <<<"$cleanup_out" || true)$( [ -n "$cleanup_out" ] && printf ' (%s)' "$(head -c 300 <<<"$cleanup_out")"); its summary: $(tail -n 1 "$RAW/cleanup.err")"
echo "- domains of the soak left: ${left_domains:-none}; volumes left besides the stemcell: ${left_volumes:-none}; lock files left: ${left_locks:-none}"
echo "- VMs created: $(wc -l <"$RAW/vm-cids" 2>/dev/null || echo 0), disks created: $(wc -l <"$RAW/disk-cids" 2>/dev/null || echo 0)"
echo "- workers $WORKERS, duration $DURATION s (ran $((STOP - START)) s), memory $MEMORY MiB, machine: $(machine_description)"
[ "${KEEP:-1}" = 0 ] && rm -rf "$RAW"
exit 0
