#!/bin/bash
# create_vm over a remote URI against the same libvirtd reached locally (issue 18): the cost of
# libvirt's remote protocol for a CPI call. A private sshd on a free loopback port (key auth, a
# known_hosts file of its own, never the system's sshd) lets the CPI reach the system libvirtd as
# qemu+ssh://root@127.0.0.1:PORT/system; the same world (pool, network, stemcell) is driven once
# through qemu:///system and once through ssh, rounds interleaved and alternating which goes
# first. Also has_vm (connection setup dominates it). Figures: medians and the ratio ssh / local.
#
#   bench/remote_create.sh [BUILD_DIR]
#
# Prints a markdown table on stdout; progress on stderr. Knobs: RUNS (10).
set -euo pipefail
[ -n "${1:-}" ] && export BUILD_DIR=$1
source "$(dirname "$0")/world.sh"
RUNS=${RUNS:-10}
command -v /usr/sbin/sshd >/dev/null || { echo "openssh-server is not installed" >&2; exit 1; }

world_create remote
ssh-keygen -q -t ed25519 -N '' -f "$WORLD/host_key"
ssh-keygen -q -t ed25519 -N '' -f "$WORLD/client_key"
cp "$WORLD/client_key.pub" "$WORLD/authorized_keys"
mkdir -p /run/sshd
port=$((20000 + $(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % 30000))
cat >"$WORLD/sshd_config" <<CONF
Port $port
ListenAddress 127.0.0.1
HostKey $WORLD/host_key
PidFile $WORLD/sshd.pid
AuthorizedKeysFile $WORLD/authorized_keys
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
CONF
/usr/sbin/sshd -D -e -f "$WORLD/sshd_config" 2>"$WORLD/sshd.log" &
sshd_pid=$!
trap 'kill $sshd_pid 2>/dev/null || true; world_cleanup' EXIT
for _ in $(seq 50); do grep -q "listening on 127.0.0.1 port $port" "$WORLD/sshd.log" && break; sleep 0.1; done
echo "[127.0.0.1]:$port $(cut -d' ' -f1,2 "$WORLD/host_key.pub")" >"$WORLD/known_hosts"
# libvirt's ssh transport runs `command` as its ssh client: this one pins our key and known_hosts.
cat >"$WORLD/ssh" <<SH
#!/bin/sh
exec ssh -i $WORLD/client_key -o UserKnownHostsFile=$WORLD/known_hosts -o StrictHostKeyChecking=yes -o BatchMode=yes "\$@"
SH
chmod 755 "$WORLD/ssh"
REMOTE_URI="qemu+ssh://root@127.0.0.1:$port/system?command=$WORLD/ssh&no_tty=1"
jq --arg u "$REMOTE_URI" '.libvirt.uri = $u' "$CONFIG" >"$WORLD/remote.json"
virsh -q -c "$REMOTE_URI" list >/dev/null || { echo "ssh URI does not work: $(tail -3 "$WORLD/sshd.log")" >&2; exit 1; }

world_request create_vm "$(jq -cn --arg s "$STEMCELL" --argjson p "$VM_PROPS" --argjson n "$NETWORKS" \
	'["bench-agent", $s, $p, $n, [], {}]')" >"$WORLD/create_vm.json"
now_us() { echo "${EPOCHREALTIME/./}"; }
# timed CONFIG METHOD_FILE OUT: appends the wall ms of one CPI process to OUT; prints the response.
timed() {
	local t0 t1 r
	t0=$(now_us)
	r=$("$CPI" --config "$1" <"$2" 2>>"$WORLD/cpi.log")
	t1=$(now_us)
	echo $(((t1 - t0) / 1000)) >>"$3"
	jq -e '.error == null' <<<"$r" >/dev/null || { echo "failed: $r" >&2; exit 1; }
	echo "$r"
}
round() { # CONFIG TAG
	local r vm
	r=$(timed "$1" "$WORLD/create_vm.json" "$WORLD/$2.create")
	vm=$(jq -r '.result[0]' <<<"$r")
	world_request has_vm "[\"$vm\"]" >"$WORLD/has_vm.json"
	timed "$1" "$WORLD/has_vm.json" "$WORLD/$2.has" >/dev/null
	world_call delete_vm "[\"$vm\"]" >/dev/null
	sleep 1
}
round "$CONFIG" warm >/dev/null; round "$WORLD/remote.json" warm >/dev/null
for ((i = 0; i < RUNS; i++)); do
	if ((i % 2 == 0)); then round "$CONFIG" local; round "$WORLD/remote.json" ssh
	else round "$WORLD/remote.json" ssh; round "$CONFIG" local; fi
	echo "round $((i + 1))/$RUNS" >&2
done
median() { sort -n "$1" | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
echo "| call | local qemu:///system (ms, median of $RUNS) | qemu+ssh to the same daemon (ms) | ssh / local |"
echo "|---|---|---|---|"
for m in create has; do
	l=$(median "$WORLD/local.$m"); s=$(median "$WORLD/ssh.$m")
	name=$([ $m = create ] && echo create_vm || echo has_vm)
	echo "| $name | $l | $s | $(awk -v a="$s" -v b="$l" 'BEGIN {printf "%.2fx", a / b}') |"
done
