#!/bin/bash
# Two builds of the CPI on the same world, interleaved round by round (bench/floor/timeit.c), so
# that a busy machine slows both alike: the way to check that a refactor left the per-call cost
# where it was.
#
#   bench/compare_builds.sh BASE_BUILD_DIR NEW_BUILD_DIR
#
# Calls that leave the world as it was, each as a whole process: info; has_vm of an existing
# (shut off) and of a missing VM; get_disks; set_vm_metadata; attach_disk + detach_disk of a
# stopped VM (one case runs both, through a tiny shell script); set_disk_metadata (a disk of
# each build's own: their sidecar formats differ); create_disk + delete_disk; create_vm +
# delete_vm. The world (pool, network, test stemcell, one VM) is made with NEW_BUILD_DIR's CPI.
# Prints a markdown table and the new/base ratio of the medians. Knobs: RUNS (default 100).
set -euo pipefail
[ $# -eq 2 ] || { echo "usage: $0 BASE_BUILD_DIR NEW_BUILD_DIR" >&2; exit 2; }
BASE=$(cd "$1" && pwd)
export BUILD_DIR
BUILD_DIR=$(cd "$2" && pwd)
source "$(dirname "$0")/world.sh"
RUNS=${RUNS:-100}

world_create cmp
cc -O2 -o "$WORLD/timeit" "$REPO/bench/floor/timeit.c"
vm=$(world_create_vm)
$VIRSH destroy "$vm" >/dev/null
disk=$(world_call create_disk '[64, {}, null]' | jq -r .)
world_request info '[]' >"$WORLD/info.json"
world_request has_vm "[\"$vm\"]" >"$WORLD/has_vm.json"
world_request has_vm '["vm-00000000-0000-4000-8000-000000000000"]' >"$WORLD/has_vm_missing.json"
world_request get_disks "[\"$vm\"]" >"$WORLD/get_disks.json"
world_request set_vm_metadata "[\"$vm\", {\"name\": \"bench/0\", \"deployment\": \"d\"}]" \
	>"$WORLD/set_vm_metadata.json"
world_request attach_disk "[\"$vm\", \"$disk\"]" >"$WORLD/attach.json"
world_request detach_disk "[\"$vm\", \"$disk\"]" >"$WORLD/detach.json"
world_request create_disk '[64, {}, null]' >"$WORLD/create_disk.json"
world_request create_vm "[\"agent-cmp\", \"$STEMCELL\", $VM_PROPS, $NETWORKS, [], {}]" \
	>"$WORLD/create_vm.json"
# attach then detach, create then delete a disk, create then delete a VM: one process each, as
# one timed case per build.
for which in base new; do
	cpi=$BUILD_DIR/bosh-libvirt-cpi
	[ $which = base ] && cpi=$BASE/bosh-libvirt-cpi
	cat >"$WORLD/attach_detach_$which.sh" <<EOF
#!/bin/sh
"$cpi" --config "$CONFIG" <"$WORLD/attach.json" | grep -q '"error":null' &&
"$cpi" --config "$CONFIG" <"$WORLD/detach.json" | grep -q '"error":null' && echo ok
EOF
	for kind in disk vm; do
		cat >"$WORLD/create_delete_${kind}_$which.sh" <<EOF
#!/bin/sh
cid=\$("$cpi" --config "$CONFIG" <"$WORLD/create_$kind.json" | jq -er '.result | if type == "array" then .[0] else . end') &&
printf '{"method":"delete_$kind","arguments":["%s"],"context":{"director_uuid":"bench"},"api_version":2}' "\$cid" |
	"$cpi" --config "$CONFIG" | grep -q '"error":null' && echo ok
EOF
	done
	meta_disk=$(world_call create_disk '[64, {}, null]' | jq -r .)
	world_request set_disk_metadata "[\"$meta_disk\", {\"director\": \"bench\", \"deployment\": \"d\", \"instance_id\": \"i-1\"}]" \
		>"$WORLD/set_disk_metadata_$which.json"
	chmod +x "$WORLD"/*_"$which".sh
done
load_before=$(cut -d' ' -f1-3 /proc/loadavg)

cases=()
for call in info has_vm has_vm_missing get_disks set_vm_metadata; do
	expect='"error":null'
	for which in base new; do
		cpi=$BUILD_DIR/bosh-libvirt-cpi
		[ $which = base ] && cpi=$BASE/bosh-libvirt-cpi
		[ ${#cases[@]} -gt 0 ] && cases+=(::)
		cases+=("${call}_$which" "$WORLD/$call.json" "$expect" "$cpi" --config "$CONFIG")
	done
done
for which in base new; do
	cpi=$BUILD_DIR/bosh-libvirt-cpi
	[ $which = base ] && cpi=$BASE/bosh-libvirt-cpi
	cases+=(:: "set_disk_metadata_$which" "$WORLD/set_disk_metadata_$which.json" '"error":null'
		"$cpi" --config "$CONFIG")
done
for script in attach_detach create_delete_disk create_delete_vm; do
	for which in base new; do
		cases+=(:: "${script}_$which" - ok "$WORLD/${script}_$which.sh")
	done
done
echo "$RUNS rounds, every case once per round ..." >&2
"$WORLD/timeit" -r "$RUNS" -w 3 "${cases[@]}" >"$WORLD/times.txt"

med() { awk -v k="$1" '$1 == k {print $4}' "$WORLD/times.txt"; }
echo "load average before/after: $load_before / $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| call (whole process) | base median (ms) | new median (ms) | new/base | base min | new min | base max RSS (KiB) | new max RSS (KiB) |"
echo "|---|---|---|---|---|---|---|---|"
for call in info has_vm has_vm_missing get_disks set_vm_metadata set_disk_metadata attach_detach \
	create_delete_disk create_delete_vm; do
	awk -v c="$call" '
		$1 == c "_base" {bm = $4; bn = $3; br = $7}
		$1 == c "_new" {nm = $4; nn = $3; nr = $7}
		END {printf "| %s | %.2f | %.2f | %.2f | %.2f | %.2f | %d | %d |\n", c, bm, nm, nm / bm, bn, nn, br, nr}
	' "$WORLD/times.txt"
done
