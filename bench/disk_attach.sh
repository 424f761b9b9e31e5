#!/bin/bash
# Benchmarks attach_disk and detach_disk through the real executable against the floor they
# cannot beat: the same libvirt calls made by `virsh` (also one process and one connection per
# call, like every CPI call).
#
#   bench/disk_attach.sh [BUILD_DIR]
#
# BUILD_DIR holds bosh-libvirt-cpi (default: build/). Works in a private pool with three small
# domains of its own (no guest OS: TCG, 128 MiB), all removed at the end.
#   stopped VM:  attach_disk / detach_disk change the definition only (VIR_DOMAIN_AFFECT_CONFIG)
#   running VM:  attach_disk hot-plugs (AFFECT_LIVE|AFFECT_CONFIG), a fresh disk every run.
#                Live detach is not measured: it waits for the guest's ACPI unplug, which a
#                domain without an OS never acknowledges (tests/e2e covers it with a real guest).
# Needs: qemu:///system, virsh, hyperfine, jq. Knobs: RUNS (20), LIVE_RUNS (12).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=$(cd "${1:-$HERE/build}" && pwd)
CPI=$BUILD/bosh-libvirt-cpi
RUNS=${RUNS:-20}
LIVE_RUNS=${LIVE_RUNS:-12}
VIRSH="virsh -q -c qemu:///system"

[ -x "$CPI" ] || { echo "no $CPI: build first" >&2; exit 1; }
for tool in virsh hyperfine jq uuidgen; do
	command -v "$tool" >/dev/null || { echo "$tool missing" >&2; exit 1; }
done

ID=$(head -c 3 /dev/urandom | od -An -tx1 | tr -d ' \n')
POOL=bench-disk-$ID
POOL_DIR=/var/lib/libvirt/images/$POOL
WORK=$(mktemp -d /tmp/disk-bench.XXXXXX)
VM_STOPPED=vm-$(uuidgen)
VM_RUNNING=vm-$(uuidgen)
VM_FLOOR=vm-$(uuidgen) # running; the virsh hot-plug floor
DISK=disk-$(head -c 8 /dev/urandom | od -An -tx1 | tr -d ' \n' | cut -c1-15)

cleanup() {
	for dom in "$VM_STOPPED" "$VM_RUNNING" "$VM_FLOOR"; do
		$VIRSH destroy "$dom" >/dev/null 2>&1 || true
		$VIRSH undefine "$dom" >/dev/null 2>&1 || true
	done
	for vol in $($VIRSH vol-list "$POOL" 2>/dev/null | awk '{print $1}'); do
		$VIRSH vol-delete --pool "$POOL" "$vol" >/dev/null 2>&1 || true
	done
	$VIRSH pool-destroy "$POOL" >/dev/null 2>&1 || true
	rm -rf "$POOL_DIR" "$WORK"
}
trap cleanup EXIT

mkdir -p "$POOL_DIR" "$WORK/locks"
$VIRSH pool-create-as "$POOL" dir --target "$POOL_DIR" >/dev/null
cat >"$WORK/cpi.json" <<EOF
{"libvirt": {"uri": "qemu:///system", "storage_pool": "$POOL", "domain_type": "qemu"},
 "agent": {"mbus": "nats://127.0.0.1:4222"}, "lock_dir": "$WORK/locks"}
EOF

# Domains named like CPI VMs (the CPI looks VMs up by CID), each with a root disk only.
for dom in "$VM_STOPPED" "$VM_RUNNING" "$VM_FLOOR"; do
	$VIRSH vol-create-as "$POOL" "$dom-root" 16M --format qcow2 >/dev/null
	cat >"$WORK/$dom.xml" <<EOF
<domain type='qemu'><name>$dom</name><memory unit='MiB'>128</memory><vcpu>1</vcpu>
<os><type arch='x86_64'>hvm</type><boot dev='hd'/></os><features><acpi/><apic/></features>
<devices><disk type='file' device='disk'><driver name='qemu' type='qcow2'/>
<source file='$POOL_DIR/$dom-root'/><target dev='vda' bus='virtio'/></disk></devices></domain>
EOF
	$VIRSH define "$WORK/$dom.xml" >/dev/null
done
$VIRSH start "$VM_RUNNING" >/dev/null
$VIRSH start "$VM_FLOOR" >/dev/null

# The device XML the CPI writes (templates/disk-device.xml), for the virsh floor.
device_xml() { # CID TARGET
	cat <<EOF
<disk type='file' device='disk'><driver name='qemu' type='qcow2' discard='unmap'/>
<source file='$POOL_DIR/$1'/><target dev='$2' bus='virtio'/><serial>$1</serial>
<alias name='ua-$1'/></disk>
EOF
}
request() { # METHOD VM DISK
	printf '{"method":"%s","arguments":["%s","%s"],"context":{"director_uuid":"bench","vm":{"stemcell":{"api_version":3}}},"api_version":2}' \
		"$1" "$2" "$3"
}

$VIRSH vol-create-as "$POOL" "$DISK" 64M --format qcow2 >/dev/null
device_xml "$DISK" vdc >"$WORK/disk.xml"
request attach_disk "$VM_STOPPED" "$DISK" >"$WORK/attach-stopped.json"
request detach_disk "$VM_STOPPED" "$DISK" >"$WORK/detach-stopped.json"

# Hot-plug runs need a new disk each time (live detach never completes without a guest). The
# prepare step creates it and writes the CPI request / the virsh device XML for it.
cat >"$WORK/fresh.sh" <<EOF
#!/bin/bash
set -e
n=\$(cat "$WORK/counter" 2>/dev/null || echo 0); echo \$((n + 1)) >"$WORK/counter"
cid=disk-\$(head -c 8 /dev/urandom | od -An -tx1 | tr -d ' \n' | cut -c1-15)
$VIRSH vol-create-as "$POOL" "\$cid" 16M --format qcow2 >/dev/null
letters=(c d e f g h i j k l m n o p q r s t u v w x y z)
target=vd\${letters[\$((n % 24))]}
$(declare -f device_xml request)
POOL_DIR=$POOL_DIR
device_xml "\$cid" "\$target" >"$WORK/live.xml"
request attach_disk "$VM_RUNNING" "\$cid" >"$WORK/attach-live.json"
EOF
chmod +x "$WORK/fresh.sh"

OK="grep -q '\"error\":null'"
UNPLUG="$VIRSH detach-device-alias $VM_STOPPED ua-$DISK --config >/dev/null 2>&1 || true"
PLUG="$VIRSH attach-device $VM_STOPPED $WORK/disk.xml --config >/dev/null 2>&1 || true"
hyperfine --style basic --runs "$RUNS" --warmup 2 --export-json "$WORK/stopped.json" \
	-p "$UNPLUG" -n "attach_disk, stopped VM" \
	"$CPI --config $WORK/cpi.json < $WORK/attach-stopped.json 2>/dev/null | $OK" \
	-p "$UNPLUG" -n "virsh attach-device --config, stopped VM" \
	"$VIRSH attach-device $VM_STOPPED $WORK/disk.xml --config >/dev/null" \
	-p "$PLUG" -n "detach_disk, stopped VM" \
	"$CPI --config $WORK/cpi.json < $WORK/detach-stopped.json 2>/dev/null | $OK" \
	-p "$PLUG" -n "virsh detach-device-alias --config, stopped VM" \
	"$VIRSH detach-device-alias $VM_STOPPED ua-$DISK --config >/dev/null" >&2

echo 0 >"$WORK/counter"
hyperfine --style basic --runs "$LIVE_RUNS" --export-json "$WORK/live-cpi.json" \
	-p "$WORK/fresh.sh" -n "attach_disk, running VM (hot-plug)" \
	"$CPI --config $WORK/cpi.json < $WORK/attach-live.json 2>/dev/null | $OK" >&2
# The floor hot-plugs into its own domain, so that both start from an equally full one.
sed -i "s/$VM_RUNNING/$VM_FLOOR/" "$WORK/fresh.sh"
echo 0 >"$WORK/counter"
hyperfine --style basic --runs "$LIVE_RUNS" --export-json "$WORK/live-virsh.json" \
	-p "$WORK/fresh.sh" -n "virsh attach-device --live --config, running VM" \
	"$VIRSH attach-device $VM_FLOOR $WORK/live.xml --live --config >/dev/null" >&2

echo
echo "machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), load $(cut -d' ' -f1-3 /proc/loadavg), libvirt $($VIRSH version --daemon | awk '/Running against daemon/ {print $NF}')"
echo
echo "| command | runs | min (ms) | median (ms) | max (ms) |"
echo "|---|---|---|---|---|"
jq -s -r '[.[].results[]][] | "| \(.command) | \(.times | length) | \(.min*1000|round) | \(.median*1000|round) | \(.max*1000|round) |"' \
	"$WORK/stopped.json" "$WORK/live-cpi.json" "$WORK/live-virsh.json"
