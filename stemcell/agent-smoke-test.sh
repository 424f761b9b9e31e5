#!/bin/bash
# Boots the agent stemcell with OUR CPI under TCG and talks to the REAL BOSH agent in it, the way
# `bosh create-env` does.
#
#   stemcell/agent-smoke-test.sh [OUTDIR]     (OUTDIR default: /tmp/bosh-agent-stemcell)
#
# Builds OUTDIR with build-agent-stemcell.sh if needed (set STEMCELL_TGZ to use a built tarball),
# then, in a storage pool and an isolated libvirt network of its own (unique names, removed at
# exit), runs the CPI (build/bosh-libvirt-cpi, or $CPI) one process per call:
#   create_stemcell -> create_vm (static IP, env with an mbus certificate from a test CA made here,
#   local blobstore, ephemeral disk) -> the agent's mbus answers `ping` (TLS checked against the CA)
#   -> create_disk, attach_disk -> agent add_persistent_disk, mount_disk (task polled with
#   get_task), list_disk names the disk -> unmount_disk, detach_disk, delete_disk, delete_vm,
#   delete_stemcell.
# Prints the times (create_vm -> pong, attach -> mounted) and a summary line `RESULT {...}`.
# On failure: the tail of the VM's serial console and of the agent's log (read from the VM's root
# disk after the VM is stopped).  Needs root, a running libvirtd, jq, openssl, curl, qemu-img.
#
# Knobs: VM_CPUS (2), VM_MEMORY (1024 MiB), EPHEMERAL_MIB (2048), PING_TIMEOUT (600 s),
#        KEEP_LOGS=DIR (keep console and agent logs), CPI, STEMCELL_TGZ.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/.." && pwd)
OUTDIR=${1:-/tmp/bosh-agent-stemcell}
CPI=${CPI:-$REPO/build/bosh-libvirt-cpi}
URI=qemu:///system
ID=agt-$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')
POOL=$ID
NET=$ID
POOL_DIR=/var/lib/libvirt/images/$ID
PING_TIMEOUT=${PING_TIMEOUT:-600}
MBUS_PASS=$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')

log() { printf '[agent-smoke %s] %s\n' "$(date +%T)" "$*" >&2; }
fail() {
	log "FAIL: $*"
	exit 1
}
now_ms() { date +%s%3N; }

[ "$(id -u)" = 0 ] || fail "must run as root"
[ -x "$CPI" ] || fail "$CPI missing: cmake --build $REPO/build"
command virsh -q -c "$URI" version >/dev/null || fail "libvirtd is not answering on $URI"

W=$(mktemp -d /tmp/agent-smoke.XXXXXX)
chmod 755 "$W"
mkdir -p "$W/console" "$W/locks" "$W/cpi"
# A private copy of the CPI and its modules (it loads them from its own folder first): a rebuild of
# the build tree during the run must not pull them from under it.
cp "$CPI" "$W/cpi/bosh-libvirt-cpi"
cp "$(dirname "$CPI")"/libbosh-libvirt-cpi-*.so "$W/cpi/" 2>/dev/null ||
	cp "$(dirname "$CPI")"/../lib/bosh-libvirt-cpi/libbosh-libvirt-cpi-*.so "$W/cpi/"
CPI=$W/cpi/bosh-libvirt-cpi
chmod 777 "$W/console"
vm='' stemcell='' disk='' attached=0

virsh() { command virsh -q -c "$URI" "$@"; }

# agent_log [stop]: the agent's own log from the VM's root disk into $W/agent.log; with `stop` the
# VM is stopped first, otherwise the disk is read while the VM runs (good enough for a log).
agent_log() {
	local overlay
	overlay=$(virsh domblklist "$vm" --details 2>/dev/null | awk '$3 == "vda" {print $4}')
	[ -n "$overlay" ] || return 0
	[ "${1:-}" != stop ] || virsh destroy "$vm" >/dev/null 2>&1 || true
	qemu-img convert -U -O raw "$overlay" "$W/root.raw" 2>/dev/null || return 0
	mkdir -p "$W/mnt"
	# Read-write on this private copy: mounting replays the journal, where the newest log blocks
	# of a running VM still are.
	if mount -o loop,offset=1048576 "$W/root.raw" "$W/mnt" 2>/dev/null; then
		cp "$W/mnt/var/vcap/bosh/log/current" "$W/agent.log" 2>/dev/null || true
		umount "$W/mnt"
	fi
	rm -f "$W/root.raw"
	[ -z "${KEEP_LOGS:-}" ] || { mkdir -p "$KEEP_LOGS" && cp "$W/agent.log" "$KEEP_LOGS/" 2>/dev/null; } || true
	return 0
}

cleanup() {
	local rc=$?
	set +e
	if [ -n "${KEEP_LOGS:-}" ]; then mkdir -p "$KEEP_LOGS" && cp "$W"/console/* "$KEEP_LOGS/" 2>/dev/null; fi
	if [ $rc -ne 0 ] && [ -n "$vm" ]; then
		log "serial console of $vm (tail):"
		tr -d '\r' <"$W/console/$vm.console.log" 2>/dev/null | tail -n 60 >&2
		agent_log stop
		log "agent log (tail of /var/vcap/bosh/log/current):"
		tail -n 60 "$W/agent.log" >&2 2>/dev/null || echo "(no agent log)" >&2
	fi
	# Through the CPI first (it knows every volume it made), then whatever is left, by name.
	[ "$attached" = 1 ] && cpi detach_disk "$(jq -cn --arg v "$vm" --arg d "$disk" '[$v, $d]')" >/dev/null 2>&1
	[ -n "$disk" ] && cpi delete_disk "$(jq -cn --arg d "$disk" '[$d]')" >/dev/null 2>&1
	[ -n "$vm" ] && cpi delete_vm "$(jq -cn --arg v "$vm" '[$v]')" >/dev/null 2>&1
	[ -n "$stemcell" ] && cpi delete_stemcell "$(jq -cn --arg s "$stemcell" '[$s]')" >/dev/null 2>&1
	if [ -n "$vm" ] && virsh dominfo "$vm" >/dev/null 2>&1; then
		virsh destroy "$vm" >/dev/null 2>&1
		virsh undefine "$vm" >/dev/null 2>&1
	fi
	if virsh pool-info "$POOL" >/dev/null 2>&1; then
		for v in $(virsh vol-list "$POOL" 2>/dev/null | awk '{print $1}'); do
			virsh vol-delete "$v" --pool "$POOL" >/dev/null 2>&1
		done
		virsh pool-destroy "$POOL" >/dev/null 2>&1
		virsh pool-undefine "$POOL" >/dev/null 2>&1
	fi
	if virsh net-info "$NET" >/dev/null 2>&1; then
		virsh net-destroy "$NET" >/dev/null 2>&1
		virsh net-undefine "$NET" >/dev/null 2>&1
	fi
	mountpoint -q "$W/mnt" 2>/dev/null && umount "$W/mnt"
	rm -rf "$POOL_DIR" "$W"
	if [ $rc -eq 0 ]; then log "PASS (everything cleaned up)"; else log "cleaned up after failure"; fi
	exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- the stemcell ------------------------------------------------------------------------------
if [ -z "${STEMCELL_TGZ:-}" ]; then
	"$HERE/build-agent-stemcell.sh" "$OUTDIR" >&2
	STEMCELL_TGZ=$(ls "$OUTDIR"/bosh-stemcell-*-openstack-kvm-debian-bookworm-go_agent.tgz | head -n 1)
fi
# As the CLI does: unpack, pass <dir>/image and stemcell.MF's cloud_properties to create_stemcell.
mkdir -p "$W/stemcell"
tar --no-same-owner -xzf "$STEMCELL_TGZ" -C "$W/stemcell"
stemcell_cp=$(awk '/^cloud_properties:/{on=1;next} on && /^  /{sub(/^  /,""); print} on && !/^  /{on=0}' \
	"$W/stemcell/stemcell.MF" | sed -E "s/^([a-z_]+): '?([^']*)'?$/\1\t\2/" |
	jq -Rn '[inputs | split("\t") | {(.[0]): (.[1] | (tonumber? // (if . == "true" then true
		elif . == "false" then false else . end)))}] | add')
grep -q '^api_version: 3' "$W/stemcell/stemcell.MF" || fail "stemcell.MF lacks api_version 3"

# --- a private world: pool, isolated network (no DHCP), test CA -----------------------------------
free_subnet() { # -> "10.a.b" routed nowhere here and in no libvirt network
	local i cand seed=$((0x$(od -An -N2 -tx1 /dev/urandom | tr -d ' \n')))
	for i in $(seq 0 60); do
		cand=10.$((200 + (seed + i) % 50)).$(((seed / 50 + i) % 250))
		ip -4 route | grep -q "^$cand\." && continue
		grep -qs "$cand\." /etc/libvirt/qemu/networks/*.xml /var/lib/libvirt/network/*.xml && continue
		echo "$cand"
		return
	done
	fail "no free 10.x.y.0/24 subnet"
}
SUBNET=$(free_subnet)
IP=$SUBNET.10
mkdir -p "$POOL_DIR" && chmod 755 "$POOL_DIR"
virsh pool-create-as "$POOL" dir --target "$POOL_DIR" >/dev/null
# libvirt's DNS stays on: see stemcell/README.md (dnsmasq directory note).
cat >"$W/net.xml" <<XML
<network><name>$NET</name><bridge name='br$ID'/><ip address='$SUBNET.1' netmask='255.255.255.0'/></network>
XML
virsh net-create "$W/net.xml" >/dev/null

# The agent's mbus certificate, signed by a CA made here; the VM's IP is in its SANs so that the
# client (curl, like the CLI with cloud_provider.cert.ca) verifies it.
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=agent-smoke-ca" \
	-keyout "$W/ca.key" -out "$W/ca.pem" 2>/dev/null
openssl req -newkey rsa:2048 -nodes -subj "/CN=$IP" -keyout "$W/mbus.key" -out "$W/mbus.csr" 2>/dev/null
printf 'subjectAltName=IP:%s\nextendedKeyUsage=serverAuth\n' "$IP" >"$W/mbus.ext"
openssl x509 -req -in "$W/mbus.csr" -CA "$W/ca.pem" -CAkey "$W/ca.key" -CAcreateserial -days 2 \
	-extfile "$W/mbus.ext" -out "$W/mbus.pem" 2>/dev/null

BLOBSTORE='{"provider": "local", "options": {"blobstore_path": "/var/vcap/micro_bosh/data/cache"}}'
cat >"$W/cpi.json" <<JSON
{"libvirt": {"uri": "$URI", "storage_pool": "$POOL", "network": "$NET", "domain_type": "qemu",
             "console_log_dir": "$W/console"},
 "agent": {"mbus": "https://mbus:$MBUS_PASS@0.0.0.0:6868", "ntp": [], "blobstore": $BLOBSTORE},
 "lock_dir": "$W/locks"}
JSON
log "world: pool $POOL, network $NET ($SUBNET.0/24), VM IP $IP"

# cpi METHOD ARGS-JSON: one CPI call as the CLI makes it (a new process); prints the result.
cpi() {
	local request response error
	request=$(jq -cn --arg m "$1" --argjson a "$2" '{method: $m, arguments: $a, api_version: 2,
		context: {director_uuid: "agent-smoke", request_id: "agent-smoke", vm: {stemcell: {api_version: 3}}}}')
	response=$("$CPI" --config "$W/cpi.json" <<<"$request" 2>>"$W/cpi.log")
	error=$(jq -c '.error' <<<"$response")
	[ "$error" = null ] || { log "CPI $1 failed: $error"; return 1; }
	jq -c '.result' <<<"$response"
}

# agent METHOD ARGS-JSON: one mbus request (HTTPS, basic auth, TLS verified against the test CA).
agent() {
	curl -sS --max-time 60 --cacert "$W/ca.pem" -u "mbus:$MBUS_PASS" "https://$IP:6868/agent" \
		-H 'Content-Type: application/json' \
		-d "$(jq -cn --arg m "$1" --argjson a "$2" '{method: $m, arguments: $a, reply_to: "agent-smoke"}')"
}

# agent_wait METHOD ARGS-JSON: a request, and for an async action its task polled until done;
# prints the final value, fails on an exception.
agent_wait() {
	local r id i
	r=$(agent "$1" "$2") || fail "agent $1: no answer"
	for ((i = 0; i < 600; i++)); do
		if jq -e '.exception' <<<"$r" >/dev/null; then fail "agent $1: $(jq -c .exception <<<"$r")"; fi
		id=$(jq -r '.value.agent_task_id? // empty' <<<"$r" 2>/dev/null || true)
		if [ -z "$id" ] || [ "$(jq -r '.value.state? // empty' <<<"$r" 2>/dev/null)" != running ]; then
			jq -c '.value' <<<"$r"
			return
		fi
		sleep 0.5
		r=$(agent get_task "$(jq -cn --arg t "$id" '[$t]')") || fail "agent get_task: no answer"
	done
	fail "agent $1: task still running after 300 s"
}

# --- the lifecycle ---------------------------------------------------------------------------
t=$(now_ms)
stemcell=$(cpi create_stemcell "$(jq -cn --arg p "$W/stemcell/image" --argjson cp "$stemcell_cp" '[$p, $cp]')" |
	jq -r .) || fail "create_stemcell"
ms_stemcell=$(($(now_ms) - t))
log "create_stemcell: $stemcell in ${ms_stemcell} ms"

AGENT_ID=$(uuidgen)
networks=$(jq -cn --arg s "$SUBNET" --arg n "$NET" '{default: {type: "manual", ip: ($s + ".10"),
	netmask: "255.255.255.0", gateway: ($s + ".1"), dns: [($s + ".1")], default: ["dns", "gateway"],
	cloud_properties: {network: $n}}}')
# env as `bosh create-env` sends it (bosh-deployment's bosh.yml resource pool env).
env=$(jq -cn --rawfile ca "$W/ca.pem" --rawfile crt "$W/mbus.pem" --rawfile key "$W/mbus.key" \
	--argjson bs "$BLOBSTORE" '{bosh: {mbus: {cert: {ca: $ca, certificate: $crt, private_key: $key}},
	password: "*", blobstores: [$bs]}}')
vm_props=$(jq -cn --argjson c "${VM_CPUS:-2}" --argjson m "${VM_MEMORY:-1024}" \
	--argjson e "${EPHEMERAL_MIB:-2048}" '{cpu: $c, memory: $m, ephemeral_disk: {size: $e}}')
t_create=$(now_ms)
created=$(cpi create_vm "$(jq -cn --arg a "$AGENT_ID" --arg s "$stemcell" --argjson p "$vm_props" \
	--argjson n "$networks" --argjson e "$env" '[$a, $s, $p, $n, [], $e]')") || fail "create_vm"
vm=$(jq -r '.[0]' <<<"$created")
ms_create_vm=$(($(now_ms) - t_create))
log "create_vm: $vm in ${ms_create_vm} ms ($vm_props); waiting for the agent on https://$IP:6868"

pong=''
while [ $(($(now_ms) - t_create)) -lt $((PING_TIMEOUT * 1000)) ]; do
	pong=$(agent ping '[]' 2>/dev/null | jq -r '.value? // empty' 2>/dev/null || true)
	[ "$pong" = pong ] && break
	virsh domstate "$vm" 2>/dev/null | grep -q running || fail "VM $vm is not running"
	sleep 0.5
done
[ "$pong" = pong ] || fail "no pong from the agent within ${PING_TIMEOUT}s"
ms_pong=$(($(now_ms) - t_create))
log "agent answered ping ${ms_pong} ms after create_vm was sent (TLS verified against the test CA)"

state=$(agent_wait get_state '[]')
log "get_state: $(jq -c '{agent_id, job_state, vm}' <<<"$state")"
[ "$(jq -r .agent_id <<<"$state")" = "$AGENT_ID" ] || fail "get_state names another agent_id"

# Persistent disk, as create-env attaches one: CPI attach_disk (v2 hint), then the agent.
disk=$(cpi create_disk "$(jq -cn --arg v "$vm" '[1024, {}, $v]')" | jq -r .) || fail "create_disk"
t_attach=$(now_ms)
hint=$(cpi attach_disk "$(jq -cn --arg v "$vm" --arg d "$disk" '[$v, $d]')") || fail "attach_disk"
attached=1
ms_attach_cpi=$(($(now_ms) - t_attach))
log "attach_disk $disk: hint $hint (${ms_attach_cpi} ms)"
[ "$(agent ping '[]' | jq -r .value)" = pong ] || fail "no pong after attach_disk"
agent_wait add_persistent_disk "$(jq -cn --arg d "$disk" --argjson h "$hint" '[$d, $h]')" >/dev/null
agent_wait mount_disk "$(jq -cn --arg d "$disk" '[$d]')" >/dev/null
ms_mount=$(($(now_ms) - t_attach))
disks=$(agent_wait list_disk '[]')
log "mount_disk done ${ms_mount} ms after attach_disk was sent; list_disk: $disks"
jq -e --arg d "$disk" 'index($d) != null' <<<"$disks" >/dev/null || fail "list_disk does not name $disk"

# Errors and warnings the agent logged (each may be a CPI bug); KEEP_LOGS keeps the whole log.
agent_log
[ -s "$W/agent.log" ] || log "could not read the agent's log from the VM's disk"
{ grep -aE '\[[A-Za-z]+\] [0-9/: ]+ (ERROR|WARN)' "$W/agent.log" 2>/dev/null || true; } |
	cut -c1-300 | sed 's/^/  agent: /' >&2

# Back out like delete-env: unmount, detach, delete.
agent_wait unmount_disk "$(jq -cn --arg d "$disk" '[$d]')" >/dev/null
cpi detach_disk "$(jq -cn --arg v "$vm" --arg d "$disk" '[$v, $d]')" >/dev/null || fail "detach_disk"
attached=0
cpi delete_disk "$(jq -cn --arg d "$disk" '[$d]')" >/dev/null || fail "delete_disk"
disk=''
cpi delete_vm "$(jq -cn --arg v "$vm" '[$v]')" >/dev/null || fail "delete_vm"
vm_deleted=$vm
vm=''
cpi delete_stemcell "$(jq -cn --arg s "$stemcell" '[$s]')" >/dev/null || fail "delete_stemcell"
stemcell=''
left=$(virsh vol-list "$POOL" | wc -l)
[ "$left" = 0 ] || fail "$left volumes left in the pool after the deletes"
virsh dominfo "$vm_deleted" >/dev/null 2>&1 && fail "domain $vm_deleted still exists"

jq -cn --argjson s "$ms_stemcell" --argjson c "$ms_create_vm" --argjson p "$ms_pong" \
	--argjson a "$ms_attach_cpi" --argjson m "$ms_mount" --arg props "$vm_props" \
	'{create_stemcell_ms: $s, create_vm_ms: $c, create_vm_to_pong_ms: $p, attach_disk_ms: $a,
	  attach_to_mounted_ms: $m, vm: ($props | fromjson)}' | sed 's/^/RESULT /'
