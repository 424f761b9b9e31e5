#!/bin/bash
# Boots the test stemcell under libvirt (TCG) and checks every BOSH-TEST event.
#
#   stemcell/smoke-test.sh [OUTDIR]      (OUTDIR default: /tmp/bosh-test-stemcell)
#
# Builds OUTDIR with build.sh if needed, then with virsh on qemu:///system:
# a dir pool in a fresh /var/lib/libvirt/images/stc-test-PID, an isolated
# network (no forward, no DHCP), a config-drive ISO, a qcow2 overlay,
# and a <domain type='qemu'>.  It checks boot, config_drive, settings,
# static network (and pings the guest), disks, ready; hot-plug with the data
# marker checked from the host; unplug; re-plug (data seen); virsh reboot,
# ctrl-alt-del, virsh reset, virsh shutdown; settings with a numeric prefix
# (valid:false); and a boot of the raw image.  Everything it creates is
# removed on exit.  Needs root and a running libvirtd.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
OUTDIR=${1:-/tmp/bosh-test-stemcell}
URI=qemu:///system
ID=stc-test-$$
DIR=/var/lib/libvirt/images/$ID
POOL=$ID
NET=$ID
NET_DHCP=$ID-dhcp
BRIDGE=stcbr$$
BRIDGE_DHCP=stcbd$$
DOM=$ID
DOM_RAW=$ID-raw
LOGDIR=/var/log/libvirt/qemu
BOOT_TIMEOUT=${BOOT_TIMEOUT:-120}
MAC=52:54:00:5c:$(printf '%02x:%02x' $(($$ / 256 % 256)) $(($$ % 256)))
MAC_RAW=52:54:00:5d:$(printf '%02x:%02x' $(($$ / 256 % 256)) $(($$ % 256)))
MAC_DHCP=52:54:00:5e:$(printf '%02x:%02x' $(($$ / 256 % 256)) $(($$ % 256)))
MAC_SPARE=52:54:00:5f:$(printf '%02x:%02x' $(($$ / 256 % 256)) $(($$ % 256)))
PDISK_SERIAL=disk-0123456789abcde

virsh() { command virsh -q -c "$URI" "$@"; }
log() { printf '[smoke %s] %s\n' "$(date +%T)" "$*" >&2; }
fail() {
	log "FAIL: $*"
	exit 1
}

cleanup() {
	local rc=$?
	set +e
	for d in "$DOM" "$DOM_RAW"; do
		virsh dominfo "$d" >/dev/null 2>&1 || continue
		virsh destroy "$d" >/dev/null 2>&1
		virsh undefine "$d" >/dev/null 2>&1
	done
	for n in "$NET" "$NET_DHCP"; do
		virsh net-info "$n" >/dev/null 2>&1 || continue
		virsh net-destroy "$n" >/dev/null 2>&1
		virsh net-undefine "$n" >/dev/null 2>&1
	done
	if virsh pool-info "$POOL" >/dev/null 2>&1; then
		virsh pool-destroy "$POOL" >/dev/null 2>&1
		virsh pool-undefine "$POOL" >/dev/null 2>&1
	fi
	if [ -n "${KEEP_LOGS:-}" ]; then
		mkdir -p "$KEEP_LOGS" && cp "$LOGDIR/$DOM"*-console.log "$KEEP_LOGS/" 2>/dev/null
	fi
	rm -rf "$DIR"
	rm -f "$LOGDIR/$DOM-console.log" "$LOGDIR/$DOM_RAW-console.log" "$LOGDIR/$DOM.log" "$LOGDIR/$DOM_RAW.log"
	if [ $rc -eq 0 ]; then log "PASS (everything cleaned up)"; else log "cleaned up after failure"; fi
	exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- events -------------------------------------------------------------------
# events DOMAIN: all BOSH-TEST JSON objects so far, one per line.
events() {
	tr -d '\r' <"$LOGDIR/$1-console.log" 2>/dev/null | sed -n 's/^BOSH-TEST //p'
}
event_count() { events "$1" | wc -l; }

# wait_event DOMAIN AFTER JQ_CONDITION [TIMEOUT]: waits for an event, among
# those after the first AFTER ones, for which JQ_CONDITION is true; prints it.
wait_event() {
	local dom=$1 after=$2 cond=$3 timeout=${4:-$BOOT_TIMEOUT} start=$SECONDS found
	while :; do
		found=$(events "$dom" | tail -n +$((after + 1)) |
			jq -cR "fromjson? | select($cond)" 2>/dev/null | head -n 1)
		if [ -n "$found" ]; then
			echo "$found"
			return 0
		fi
		if [ $((SECONDS - start)) -ge "$timeout" ]; then
			log "console log of $dom:"
			tr -d '\r' <"$LOGDIR/$dom-console.log" | tail -n 40 >&2
			fail "no event matching '$cond' within ${timeout}s"
		fi
		sleep 0.2
	done
}

expect() { # DESCRIPTION JSON JQ_CONDITION
	if jq -e "$3" <<<"$2" >/dev/null; then
		log "ok: $1"
	else
		fail "$1: got $2"
	fi
}

now_ms() { date +%s%3N; }

# --- build and host-side setup -------------------------------------------------
"$HERE/build.sh" "$OUTDIR" >&2
command virsh -c "$URI" version >/dev/null || fail "libvirtd is not answering on $URI"

# Two unused 10.2xx.y.0/24 subnets: the static one and one with DHCP.
free_subnet() { # SEED -> "10.a.b." not routed here nor used by a libvirt network
	local i cand
	for i in $(seq 0 40); do
		cand=10.$((200 + ($1 + i) % 50)).$((($1 / 50 + i) % 250)).
		ip -4 route | grep -q "^${cand}" && continue
		grep -qs "${cand}" /etc/libvirt/qemu/networks/*.xml && continue
		echo "$cand"
		return 0
	done
	fail "no free 10.2xx.y.0/24 subnet"
}
SUBNET=$(free_subnet $$)
SUBNET_DHCP=$(free_subnet $(($$ + 7)))
[ "$SUBNET" != "$SUBNET_DHCP" ] || SUBNET_DHCP=$(free_subnet $(($$ + 113)))
GATEWAY=${SUBNET}1
GUEST_IP=${SUBNET}10
GUEST_IP_RAW=${SUBNET}11
GUEST_IP_DHCP=${SUBNET_DHCP}50

mkdir -p "$DIR"
chmod 0755 "$DIR"
cat >"$DIR/pool.xml" <<EOF
<pool type='dir'><name>$POOL</name><target><path>$DIR</path></target></pool>
EOF
virsh pool-define "$DIR/pool.xml" >/dev/null
virsh pool-start "$POOL" >/dev/null
rm -f "$DIR/pool.xml"

cat >"$DIR/net.xml" <<EOF
<network>
  <name>$NET</name>
  <bridge name='$BRIDGE' stp='off' delay='0'/>
  <ip address='$GATEWAY' netmask='255.255.255.0'/>
</network>
EOF
# (Keep libvirt's DNS on: with <dns enable='no'/> libvirt 9.0 starts no
# dnsmasq, never creates /var/lib/libvirt/dnsmasq, and then fails to start
# any domain on the network writing its .macs file there.)
virsh net-define "$DIR/net.xml" >/dev/null
virsh net-start "$NET" >/dev/null
# A second isolated network whose DHCP server reserves an address for
# MAC_DHCP, for the guest's "dynamic" network (udhcpc).
cat >"$DIR/net.xml" <<EOF
<network>
  <name>$NET_DHCP</name>
  <bridge name='$BRIDGE_DHCP' stp='off' delay='0'/>
  <ip address='${SUBNET_DHCP}1' netmask='255.255.255.0'>
    <dhcp>
      <range start='${SUBNET_DHCP}100' end='${SUBNET_DHCP}200'/>
      <host mac='$MAC_DHCP' ip='$GUEST_IP_DHCP'/>
    </dhcp>
  </ip>
</network>
EOF
virsh net-define "$DIR/net.xml" >/dev/null
virsh net-start "$NET_DHCP" >/dev/null
rm -f "$DIR/net.xml"
log "pool $POOL, networks $NET ($BRIDGE, ${SUBNET}0/24), $NET_DHCP ($BRIDGE_DHCP, ${SUBNET_DHCP}0/24 with DHCP)"

# Volumes, as the CPI makes them: the stemcell, a 1 GiB overlay on it,
# an ephemeral disk and (later) a persistent disk.
virsh vol-create-as "$POOL" stemcell.qcow2 64M --format qcow2 >/dev/null
virsh vol-upload --pool "$POOL" stemcell.qcow2 "$OUTDIR/root.qcow2"
virsh vol-create-as "$POOL" root.qcow2 1G --format qcow2 \
	--backing-vol "$DIR/stemcell.qcow2" --backing-vol-format qcow2 >/dev/null
virsh vol-create-as "$POOL" eph.qcow2 256M --format qcow2 >/dev/null
virsh vol-create-as "$POOL" stemcell-raw.img 64M --format raw >/dev/null
virsh vol-upload --pool "$POOL" stemcell-raw.img "$OUTDIR/root.raw"

# make_config_drive ISO_NAME MAC IP [PREFIX_JSON [EXTRA_NETWORKS_JSON]]: an
# ISO9660 config drive as the CPI writes it (contract §5.2/§5.4), uploaded
# into the pool.
make_config_drive() {
	local iso=$1 mac=$2 ip=$3 prefix=${4:-'"24"'} extra=${5:-'{}'} src=$DIR/cfg-src
	rm -rf "$src"
	mkdir -p "$src/ec2/latest" "$src/openstack/latest"
	jq -n --arg dom "$DOM" '{"instance-id": $dom, "public-keys": {}}' >"$src/ec2/latest/meta-data.json"
	jq -n --arg mac "$mac" --arg ip "$ip" --arg gw "$GATEWAY" --arg dom "$DOM" \
		--argjson prefix "$prefix" --argjson extra "$extra" '{
		agent_id: "4149ba0f-38d9-4485-476f-1581be36f290",
		vm: {name: $dom},
		mbus: "nats://\($gw):4222",
		ntp: ["time1.google.com"],
		blobstore: {provider: "local", options: {blobstore_path: "/var/vcap/micro_bosh/data/cache"}},
		networks: ({default: {type: "manual", ip: $ip, netmask: "255.255.255.0", gateway: $gw,
			prefix: $prefix, dns: [$gw], default: ["dns", "gateway"], mac: $mac, use_dhcp: false,
			cloud_properties: {network: "bosh"}}} + $extra),
		disks: {system: "/dev/vda", ephemeral: {path: "/dev/disk/by-id/virtio-eph-smoke"}, persistent: {}},
		env: {bosh: {mbus: {cert: {ca: "ca", certificate: "cert", private_key: "key"}},
			password: "$6$salt$hash", ntp: ["time1.google.com"], group: "d-dep-web", groups: ["d", "dep"], tags: {}}}
	}' >"$src/ec2/latest/user-data"
	cp "$src/ec2/latest/meta-data.json" "$src/openstack/latest/meta_data.json"
	cp "$src/ec2/latest/user-data" "$src/openstack/latest/user_data"
	genisoimage -quiet -o "$DIR/$iso.tmp" -V config-2 -r -J "$src"
	virsh vol-delete --pool "$POOL" "$iso" >/dev/null 2>&1 || true
	virsh vol-create-as "$POOL" "$iso" "$(stat -c %s "$DIR/$iso.tmp")" --format raw >/dev/null
	virsh vol-upload --pool "$POOL" "$iso" "$DIR/$iso.tmp"
	rm -rf "$src" "$DIR/$iso.tmp"
}

# define_domain NAME ROOT_VOL ROOT_FORMAT ISO MAC [EXTRA_DEVICES_XML]
define_domain() {
	cat >"$DIR/$1.xml" <<EOF
<domain type='qemu'>
  <name>$1</name>
  <memory unit='MiB'>128</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='pc'>hvm</type><boot dev='hd'/></os>
  <features><acpi/><apic/></features>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>restart</on_reboot>
  <on_crash>destroy</on_crash>
  <devices>
    <disk type='volume' device='disk'>
      <driver name='qemu' type='$3'/>
      <source pool='$POOL' volume='$2'/>
      <target dev='vda' bus='virtio'/>
      <serial>root-smoke</serial>
    </disk>
    <disk type='volume' device='disk'>
      <driver name='qemu' type='qcow2'/>
      <source pool='$POOL' volume='eph.qcow2'/>
      <target dev='vdb' bus='virtio'/>
      <serial>eph-smoke</serial>
    </disk>
    <disk type='volume' device='cdrom'>
      <driver name='qemu' type='raw'/>
      <source pool='$POOL' volume='$4'/>
      <target dev='hdc' bus='ide'/>
      <readonly/>
    </disk>
    <interface type='network'>
      <source network='$NET'/>
      <mac address='$5'/>
      <model type='virtio'/>
    </interface>
    <serial type='pty'>
      <log file='$LOGDIR/$1-console.log' append='on'/>
      <target port='0'/>
    </serial>
    <console type='pty'><target type='serial' port='0'/></console>
    <memballoon model='none'/>${6:-}
  </devices>
</domain>
EOF
	virsh define "$DIR/$1.xml" >/dev/null
	rm -f "$DIR/$1.xml"
}

# check_boot DOMAIN AFTER IP MAC ROOT_BYTES: one boot with valid settings.
check_boot() {
	local dom=$1 after=$2 ip=$3 mac=$4 root_bytes=$5 ev
	ev=$(wait_event "$dom" "$after" '.event == "boot"')
	expect "boot event has a boot_id and uptime" "$ev" '(.boot_id | length) == 36 and (.uptime | type) == "string"'
	ev=$(wait_event "$dom" "$after" '.event == "config_drive" or (.event == "error" and .step == "config_drive")')
	expect "config drive found on the IDE CD-ROM" "$ev" \
		'.event == "config_drive" and .device == "/dev/sr0" and .label == "config-2" and .fstype == "iso9660"'
	ev=$(wait_event "$dom" "$after" '.event == "settings"')
	expect "settings valid" "$ev" '.valid == true and .errors == [] and .agent_id == "4149ba0f-38d9-4485-476f-1581be36f290"'
	expect "settings summary" "$ev" \
		'.networks.default.mac != null and .disks.system == "/dev/vda" and .env_keys == ["bosh"] and (.networks.default | has("cloud_properties") | not)'
	ev=$(wait_event "$dom" "$after" '.event == "network" or (.event == "error" and .step == "network")')
	expect "static network on eth0" "$ev" \
		".event == \"network\" and .iface == \"eth0\" and .mode == \"static\" and .ip == \"$ip\" and .prefix == \"24\" and .mac == \"$mac\" and .default_gateway == true"
	ev=$(wait_event "$dom" "$after" '.event == "disks"')
	expect "disks listed with serials" "$ev" \
		'any(.disks[]; .serial == "root-smoke" and .size_bytes == '"$root_bytes"') and any(.disks[]; .serial == "eph-smoke" and .size_bytes > 0) and all(.disks[]; .name | startswith("vd"))'
	wait_event "$dom" "$after" '.event == "ready"' >/dev/null
	ev=$(events "$dom" | tail -n +$((after + 1)) | jq -cR 'fromjson? | select(.event == "error")' | head -n 1)
	[ -z "$ev" ] || fail "unexpected error event: $ev"
}

# =============================== qcow2 domain ==================================
make_config_drive cfg.iso "$MAC" "$GUEST_IP"
define_domain "$DOM" root.qcow2 qcow2 cfg.iso "$MAC"
t0=$(now_ms)
virsh start "$DOM" >/dev/null
t_start=$(($(now_ms) - t0))
wait_event "$DOM" 0 '.event == "boot"' >/dev/null
t_boot=$(($(now_ms) - t0))
wait_event "$DOM" 0 '.event == "ready"' >/dev/null
t_ready=$(($(now_ms) - t0))
log "timing: virsh start ${t_start} ms, boot event ${t_boot} ms, ready ${t_ready} ms"
check_boot "$DOM" 0 "$GUEST_IP" "$MAC" 1073741824
boot1=$(wait_event "$DOM" 0 '.event == "boot"' | jq -r .boot_id)

if busybox ping -c 1 -W 3 "$GUEST_IP" >/dev/null 2>&1; then
	log "ok: host pings the guest at $GUEST_IP"
else
	fail "guest does not answer ping at $GUEST_IP"
fi

# --- hot-plug a blank persistent disk: marker written ---------------------------
virsh vol-create-as "$POOL" pdisk.qcow2 16M --format qcow2 >/dev/null
n=$(event_count "$DOM")
t0=$(now_ms)
virsh attach-disk "$DOM" "$DIR/pdisk.qcow2" vdc --targetbus virtio --subdriver qcow2 \
	--serial "$PDISK_SERIAL" --live >/dev/null
ev=$(wait_event "$DOM" "$n" '.event == "disk_added"' 30)
log "timing: hot-plug seen after $(($(now_ms) - t0)) ms"
expect "disk_added with serial and size" "$ev" ".serial == \"$PDISK_SERIAL\" and .size_bytes == 16777216"
ev=$(wait_event "$DOM" "$n" '.event == "disk_written" or .event == "disk_seen_data"' 30)
expect "marker written to the blank disk" "$ev" \
	".event == \"disk_written\" and .serial == \"$PDISK_SERIAL\" and .marker == \"BOSH-TEST-DATA $PDISK_SERIAL\""

n=$(event_count "$DOM")
t0=$(now_ms)
virsh detach-disk "$DOM" vdc --live >/dev/null
ev=$(wait_event "$DOM" "$n" '.event == "disk_removed"' 30)
log "timing: unplug seen after $(($(now_ms) - t0)) ms"
expect "disk_removed remembers the serial" "$ev" ".serial == \"$PDISK_SERIAL\""
# The host sees the guest's bytes in the volume.
sleep 1
qemu-img dd -f qcow2 -O raw if="$DIR/pdisk.qcow2" of="$DIR/pdisk-head.raw" bs=512 count=1
head_bytes=$(head -n 1 "$DIR/pdisk-head.raw" | tr -d '\0')
rm -f "$DIR/pdisk-head.raw"
[ "$head_bytes" = "BOSH-TEST-DATA $PDISK_SERIAL" ] || fail "host reads '$head_bytes' at offset 0 of the persistent disk"
log "ok: host reads the marker at offset 0 of pdisk.qcow2"

# --- re-plug: the guest sees the data ----------------------------------------------
n=$(event_count "$DOM")
virsh attach-disk "$DOM" "$DIR/pdisk.qcow2" vdc --targetbus virtio --subdriver qcow2 \
	--serial "$PDISK_SERIAL" --live >/dev/null
ev=$(wait_event "$DOM" "$n" '.event == "disk_written" or .event == "disk_seen_data"' 30)
expect "re-plugged disk shows the marker" "$ev" \
	".event == \"disk_seen_data\" and .head == \"BOSH-TEST-DATA $PDISK_SERIAL\""

# --- virsh reboot (ACPI power button + libvirt fake reboot) ------------------------
n=$(event_count "$DOM")
t0=$(now_ms)
virsh reboot "$DOM" >/dev/null
ev=$(wait_event "$DOM" "$n" '.event == "shutdown"' 30)
expect "virsh reboot presses the power button" "$ev" '.action == "poweroff" and .reason == "acpi_power_button"'
ev=$(wait_event "$DOM" "$n" '.event == "boot"')
expect "second boot has a new boot_id" "$ev" ".boot_id != \"$boot1\""
wait_event "$DOM" "$n" '.event == "ready"' >/dev/null
log "timing: virsh reboot -> ready $(($(now_ms) - t0)) ms"
check_boot "$DOM" "$n" "$GUEST_IP" "$MAC" 1073741824
ev=$(wait_event "$DOM" "$n" '.event == "disk_seen_data"' 5)
expect "persistent disk data survives the reboot" "$ev" ".serial == \"$PDISK_SERIAL\""
virsh detach-disk "$DOM" vdc --live >/dev/null
wait_event "$DOM" "$n" '.event == "disk_removed"' 30 >/dev/null

# --- ctrl-alt-del ------------------------------------------------------------------
n=$(event_count "$DOM")
virsh send-key "$DOM" KEY_LEFTCTRL KEY_LEFTALT KEY_DELETE >/dev/null
ev=$(wait_event "$DOM" "$n" '.event == "shutdown"' 30)
expect "ctrl-alt-del reboots" "$ev" '.action == "reboot" and .reason == "ctrl-alt-del"'
wait_event "$DOM" "$n" '.event == "ready"' >/dev/null
log "ok: ready again after ctrl-alt-del"

# --- virsh reset ---------------------------------------------------------------------
n=$(event_count "$DOM")
virsh reset "$DOM" >/dev/null
wait_event "$DOM" "$n" '.event == "boot"' >/dev/null
wait_event "$DOM" "$n" '.event == "ready"' >/dev/null
log "ok: ready again after virsh reset"

# --- virsh shutdown ------------------------------------------------------------------
n=$(event_count "$DOM")
t0=$(now_ms)
virsh shutdown "$DOM" >/dev/null
wait_event "$DOM" "$n" '.event == "shutdown"' 30 >/dev/null
for _ in $(seq 1 100); do
	[ "$(virsh domstate "$DOM")" = "shut off" ] && break
	sleep 0.1
done
[ "$(virsh domstate "$DOM")" = "shut off" ] || fail "domain did not power off"
log "timing: virsh shutdown -> shut off $(($(now_ms) - t0)) ms"

# --- settings with a numeric prefix are rejected --------------------------------------
make_config_drive cfg.iso "$MAC" "$GUEST_IP" 24
n=$(event_count "$DOM")
virsh start "$DOM" >/dev/null
ev=$(wait_event "$DOM" "$n" '.event == "settings"')
expect "numeric prefix makes the settings invalid" "$ev" \
	'.valid == false and .errors == ["networks.default.prefix must be a string"]'
ev=$(wait_event "$DOM" "$n" '.event == "network"')
expect "NIC left unconfigured with invalid settings" "$ev" '.mode == "unconfigured" and .iface == "eth0"'
wait_event "$DOM" "$n" '.event == "ready"' >/dev/null
virsh destroy "$DOM" >/dev/null

# ================================ raw domain ===========================================
# Three NICs: eth0 static, eth1 a "dynamic" network (DHCP), eth2 not in the
# settings at all.
make_config_drive cfg-raw.iso "$MAC_RAW" "$GUEST_IP_RAW" '"24"' \
	"{\"dyn\": {\"type\": \"dynamic\", \"mac\": \"$MAC_DHCP\", \"default\": [], \"cloud_properties\": {}}}"
define_domain "$DOM_RAW" stemcell-raw.img raw cfg-raw.iso "$MAC_RAW" "
    <interface type='network'><source network='$NET_DHCP'/><mac address='$MAC_DHCP'/><model type='virtio'/></interface>
    <interface type='network'><source network='$NET'/><mac address='$MAC_SPARE'/><model type='virtio'/></interface>"
t0=$(now_ms)
virsh start "$DOM_RAW" >/dev/null
wait_event "$DOM_RAW" 0 '.event == "ready"' >/dev/null
log "timing: raw image start -> ready $(($(now_ms) - t0)) ms (includes DHCP)"
check_boot "$DOM_RAW" 0 "$GUEST_IP_RAW" "$MAC_RAW" 67108864
ev=$(wait_event "$DOM_RAW" 0 '.event == "network" and .network == "dyn"')
expect "dynamic network got its DHCP lease" "$ev" \
	".iface == \"eth1\" and .mode == \"dhcp\" and .lease == true and .ip == \"$GUEST_IP_DHCP\" and .prefix == \"24\" and .mac == \"$MAC_DHCP\" and .default_gateway == false"
ev=$(wait_event "$DOM_RAW" 0 '.event == "network" and .mode == "unconfigured"')
expect "NIC without a settings network reported unconfigured" "$ev" \
	".iface == \"eth2\" and .mac == \"$MAC_SPARE\" and .network == null"
virsh destroy "$DOM_RAW" >/dev/null

if [ -n "${SHOW_EVENTS:-}" ]; then
	events "$DOM"
	events "$DOM_RAW"
fi
