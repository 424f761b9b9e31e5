#!/bin/bash
# Benchmarks create_stemcell (the real executable, a private libvirt pool) against the floor it
# cannot beat: `gzip -dc image > /dev/null` on the same file.
#
#   bench/stemcell_import.sh [BUILD_DIR] [WORK_DIR]
#
# BUILD_DIR holds bosh-libvirt-cpi (default: build/); WORK_DIR receives the 1 GiB test images
# (default: a temporary folder, removed at the end; give one to keep the images between runs).
# Needs: qemu:///system, virsh, qemu-img, hyperfine, jq, ~5 GiB free in WORK_DIR and the pool.
# Knobs: RUNS (5), SIZE_MIB (1024), DATA_MIB (512: random bytes, the rest zeros).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=$(cd "${1:-$HERE/build}" && pwd)
CPI=$BUILD/bosh-libvirt-cpi
RUNS=${RUNS:-5}
SIZE_MIB=${SIZE_MIB:-1024}
DATA_MIB=${DATA_MIB:-512}
VIRSH="virsh -q -c qemu:///system"

[ -x "$CPI" ] || { echo "no $CPI: build first" >&2; exit 1; }
for tool in virsh qemu-img hyperfine jq gzip tar; do
	command -v "$tool" >/dev/null || { echo "$tool missing" >&2; exit 1; }
done

if [ -n "${2:-}" ]; then
	WORK=$(mkdir -p "$2" && cd "$2" && pwd)
	KEEP_WORK=1
else
	WORK=$(mktemp -d /var/tmp/stemcell-bench.XXXXXX)
	KEEP_WORK=0
fi
POOL=bench-stemcell-$(head -c 3 /dev/urandom | od -An -tx1 | tr -d ' \n')
POOL_DIR=/var/lib/libvirt/images/$POOL

delete_volumes() {
	for vol in $($VIRSH vol-list "$POOL" 2>/dev/null | awk '{print $1}'); do
		$VIRSH vol-delete --pool "$POOL" "$vol" >/dev/null
	done
}
cleanup() {
	delete_volumes || true
	$VIRSH pool-destroy "$POOL" >/dev/null 2>&1 || true
	rm -rf "$POOL_DIR"
	[ "$KEEP_WORK" = 1 ] || rm -rf "$WORK"
}
trap cleanup EXIT

# --- Images: DATA_MIB of random bytes, then zeros up to SIZE_MIB (a disk with free space) ------
if [ ! -s "$WORK/image-raw" ] || [ ! -s "$WORK/image-qcow2" ] || [ ! -s "$WORK/qcow2/root.img" ]; then
	echo "building ${SIZE_MIB} MiB images in $WORK ..." >&2
	mkdir -p "$WORK/raw" "$WORK/qcow2"
	head -c "${DATA_MIB}M" /dev/urandom >"$WORK/raw/root.img"
	truncate -s "${SIZE_MIB}M" "$WORK/raw/root.img"
	qemu-img convert -q -f raw -O qcow2 -o compat=0.10 "$WORK/raw/root.img" "$WORK/qcow2/root.img"
	tar czf "$WORK/image-raw" -C "$WORK/raw" root.img
	tar czf "$WORK/image-qcow2" -C "$WORK/qcow2" root.img
fi

mkdir -p "$POOL_DIR"
$VIRSH pool-create-as "$POOL" dir --target "$POOL_DIR" >/dev/null
cat >"$WORK/cpi.json" <<EOF
{"libvirt": {"uri": "qemu:///system", "storage_pool": "$POOL", "domain_type": "qemu"},
 "agent": {"mbus": "nats://127.0.0.1:4222"}, "lock_dir": "$WORK/locks"}
EOF
for format in raw qcow2; do
	printf '{"method":"create_stemcell","arguments":["%s",{"disk_format":"%s"}],"context":{"director_uuid":"bench"},"api_version":2}' \
		"$WORK/image-$format" "$format" >"$WORK/request-$format.json"
done

# Each import is checked to succeed (grep). Before each run (untimed) the pool is emptied; the
# `virsh vol-upload` rows (libvirt's own upload of the already extracted root.img, the other floor
# of a streaming import) get a fresh volume to upload into.
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
EMPTY="for v in \$($VIRSH vol-list $POOL | awk '{print \$1}'); do $VIRSH vol-delete --pool $POOL \$v >/dev/null; done"
hyperfine --style basic --runs "$RUNS" --warmup 1 --export-json "$WORK/hyperfine.json" \
	-p "$EMPTY" -n "create_stemcell raw" \
	"$CPI --config $WORK/cpi.json < $WORK/request-raw.json 2>/dev/null | grep -q '\"error\":null'" \
	-p "$EMPTY" -n "gzip -dc image-raw" "gzip -dc $WORK/image-raw > /dev/null" \
	-p "$EMPTY; $VIRSH vol-create-as $POOL up ${SIZE_MIB}M --allocation 0 --format raw >/dev/null" \
	-n "virsh vol-upload --sparse raw root.img" "$VIRSH vol-upload --sparse --pool $POOL up $WORK/raw/root.img" \
	-p "$EMPTY" -n "create_stemcell qcow2" \
	"$CPI --config $WORK/cpi.json < $WORK/request-qcow2.json 2>/dev/null | grep -q '\"error\":null'" \
	-p "$EMPTY" -n "gzip -dc image-qcow2" "gzip -dc $WORK/image-qcow2 > /dev/null" \
	-p "$EMPTY; $VIRSH vol-create-as $POOL up ${SIZE_MIB}M --format qcow2 >/dev/null" \
	-n "virsh vol-upload qcow2 root.img" "$VIRSH vol-upload --pool $POOL up $WORK/qcow2/root.img" >&2

echo
echo "machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), libvirt $($VIRSH version --daemon | awk '/Running against daemon/ {print $NF}')"
echo "images: image-raw $(stat -c %s "$WORK/image-raw") bytes, image-qcow2 $(stat -c %s "$WORK/image-qcow2") bytes (root.img ${SIZE_MIB} MiB virtual, ${DATA_MIB} MiB random data)"
echo
echo "load average before/after: $LOAD_BEFORE / $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| command | min (s) | median (s) | max (s) | CPU user+sys, mean (s) |"
echo "|---|---|---|---|---|"
jq -r '.results[] | "| \(.command) | \(.min*1000|round/1000) | \(.median*1000|round/1000) | \(.max*1000|round/1000) | \((.user+.system)*1000|round/1000) |"' "$WORK/hyperfine.json"
for format in raw qcow2; do
	jq -r --arg f "$format" '
		(.results[] | select(.command == "create_stemcell " + $f) | .median) as $cpi |
		(.results[] | select(.command == "gzip -dc image-" + $f) | .median) as $gzip |
		"ratio \($f): create_stemcell / gzip -dc (medians) = \($cpi / $gzip * 100 | round / 100) (target <= 1.15)"' "$WORK/hyperfine.json"
done
