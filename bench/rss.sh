#!/bin/bash
# Peak RSS (GNU time's %M, the kernel's high-water mark of resident pages) of the process of every
# CPI method, through one whole lifecycle in a private world; the floors beside it: /bin/true,
# `virsh domstate`, and bench/floor/*.c (the libvirt calls of create_vm / delete_vm from C).
#
#   bench/rss.sh [BUILD_DIR]
#
# The lifecycle runs REPS times; each row shows the largest of its REPS peaks. Disk methods run
# against the VM powered off (attach/detach change the definition only), so no step waits on a
# booting guest. Target: <= 20 MiB for every method.
# Prints a markdown table on stdout; progress on stderr. Knobs: REPS (3).
set -euo pipefail
[ -n "${1:-}" ] && export BUILD_DIR=$1
source "$(dirname "$0")/world.sh"
REPS=${REPS:-3}
TIME=/usr/bin/time
[ -x "$TIME" ] || { echo "$TIME missing (Debian package 'time')" >&2; exit 1; }

world_create rss
for p in create_vm delete_vm; do
	cc -O2 -o "$WORLD/$p" "$REPO/bench/floor/$p.c" $(pkg-config --cflags --libs libvirt)
done
: >"$WORLD/rss.txt"
ORDER=()

# record LABEL KIB RESULT
record() {
	echo "$1	$2	$3" >>"$WORLD/rss.txt"
	[[ " ${ORDER[*]} " == *" $1 "* ]] || ORDER+=("$1")
}
# rss LABEL METHOD ARGS: one CPI call under GNU time; sets REPLY to the result JSON.
rss() {
	local label=$1 response kib outcome
	world_request "$2" "$3" >"$WORLD/request.json"
	if [ "$2" = "(not JSON)" ]; then echo '{"method": ' >"$WORLD/request.json"; fi
	response=$("$TIME" -f %M -o "$WORLD/time.out" "$CPI" --config "$CONFIG" <"$WORLD/request.json" 2>>"$WORLD/cpi.log")
	kib=$(tail -n 1 "$WORLD/time.out")
	outcome=$(jq -r 'if .error == null then "ok" else .error.type end' <<<"$response")
	record "$label" "$kib" "$outcome"
	REPLY=$(jq -c .result <<<"$response")
}
# floor LABEL CMD...: peak RSS of a non-CPI command.
floor() {
	local label=$1
	shift
	"$TIME" -f %M -o "$WORLD/time.out" "$@" >/dev/null 2>&1 </dev/null || true
	record "$label" "$(tail -n 1 "$WORLD/time.out")" floor
}

stemcell_cp='{"name": "bosh-openstack-kvm-tiny", "version": "0.0.1", "disk": 64, "container_format": "bare",
              "infrastructure": "openstack", "hypervisor": "kvm", "os_type": "linux", "architecture": "x86_64"}'
for ((r = 1; r <= REPS; r++)); do
	echo "lifecycle $r/$REPS" >&2
	rss info info '[]'
	rss calculate_vm_cloud_properties calculate_vm_cloud_properties '[{"cpu": 2, "ram": 1024, "ephemeral_disk_size": 2048}]'
	rss "configure_networks (not supported)" configure_networks '["vm-00000000-0000-4000-8000-000000000000", {}]'
	rss "unknown method" no_such_method '[]'
	rss "bad request (not JSON)" "(not JSON)" '[]'
	rss "create_stemcell qcow2 (test stemcell, 64 MiB)" create_stemcell \
		"$(jq -cn --arg p "$STEMCELL_DIR/image-qcow2" --argjson cp "$stemcell_cp" '[$p, $cp + {disk_format: "qcow2"}]')"
	sc_qcow2=$(jq -r . <<<"$REPLY")
	rss "create_stemcell raw (test stemcell, 64 MiB)" create_stemcell \
		"$(jq -cn --arg p "$STEMCELL_DIR/image-raw" --argjson cp "$stemcell_cp" '[$p, $cp + {disk_format: "raw"}]')"
	sc_raw=$(jq -r . <<<"$REPLY")
	rss create_vm create_vm "$(jq -cn --arg s "$sc_qcow2" --argjson p "$VM_PROPS" --argjson n "$NETWORKS" \
		'["bench-agent", $s, $p, $n, [], {}]')"
	vm=$(jq -r '.[0]' <<<"$REPLY")
	rss has_vm has_vm "[\"$vm\"]"
	rss set_vm_metadata set_vm_metadata "[\"$vm\", {\"director\": \"bench\", \"deployment\": \"bench\", \"job\": \"web\", \"index\": \"0\", \"name\": \"web/0\"}]"
	rss "reboot_vm (running: reset)" reboot_vm "[\"$vm\"]"
	rss get_disks get_disks "[\"$vm\"]"
	rss current_vm_id current_vm_id '[]'
	$VIRSH destroy "$vm" >/dev/null
	rss create_disk create_disk "[64, {}, \"$vm\"]"
	disk=$(jq -r . <<<"$REPLY")
	rss "attach_disk (VM off)" attach_disk "[\"$vm\", \"$disk\"]"
	rss "detach_disk (VM off)" detach_disk "[\"$vm\", \"$disk\"]"
	rss resize_disk resize_disk "[\"$disk\", 128]"
	rss update_disk update_disk "[\"$disk\", 256, {}]"
	rss set_disk_metadata set_disk_metadata "[\"$disk\", {\"director\": \"bench\", \"deployment\": \"bench\"}]"
	rss has_disk has_disk "[\"$disk\"]"
	rss snapshot_disk snapshot_disk "[\"$disk\", {}]"
	snap=$(jq -r . <<<"$REPLY")
	rss delete_snapshot delete_snapshot "[\"$snap\"]"
	rss delete_disk delete_disk "[\"$disk\"]"
	rss delete_vm delete_vm "[\"$vm\"]"
	rss delete_stemcell delete_stemcell "[\"$sc_qcow2\"]"
	world_call delete_stemcell "[\"$sc_raw\"]" >/dev/null

	floor "floor: /bin/true" /bin/true
	vm=vm-$(cat /proc/sys/kernel/random/uuid)
	iso_bytes=100000
	floor "floor: bench/floor/create_vm.c" "$WORLD/create_vm" qemu:///system "$POOL" "$STEMCELL" "$NET" "$vm" \
		"52:54:00:fe:00:0$r" "$WORLD/console/$vm.console.log" "$iso_bytes" 64
	floor "floor: virsh domstate" virsh -c qemu:///system domstate "$vm"
	floor "floor: bench/floor/delete_vm.c" "$WORLD/delete_vm" qemu:///system "$POOL" "$vm"
done

echo "| process | peak RSS (MiB), max of $REPS | outcome | <= 20 MiB |"
echo "|---|---|---|---|"
for label in "${ORDER[@]}"; do
	awk -F'\t' -v l="$label" '$1 == l {if ($2 > m) m = $2; o = $3} END {
		printf "| %s | %.1f | %s | %s |\n", l, m / 1024, o, (o == "floor" ? "" : (m <= 20480 ? "yes" : "**no**"))}' "$WORLD/rss.txt"
done
