#!/bin/bash
# The one command: runs every benchmark in bench/ against the built CPI and prints one summary
# (markdown: the command, the machine, every table, then the figures against their targets).
#
#   bench/run.sh [BUILD_DIR]            # default BUILD_DIR: <repo>/build (build it first)
#
# Runs, in this order (each one creates and removes its own private pool and network):
#   info_has_vm.sh       per-call overhead: info vs /bin/true, has_vm vs virsh domstate
#   create_delete_vm.sh  create_vm / delete_vm vs the same libvirt calls from C (bench/floor/)
#   parallel_create.sh   1, 2, 4, 8, 16 create_vm at once against the C floor at once (curve)
#   mac_allocation.sh    create_vm's MAC allocation with 10, 100, 500 domains defined
#   rss.sh               peak RSS of every method's process
#   stemcell_import.sh   create_stemcell of 1 GiB images vs gzip -dc
#   disk_attach.sh       attach_disk / detach_disk vs virsh
# A script that is missing is skipped, one that fails is reported and the rest still run.
# The summary is also written to $OUT (default: /var/tmp/bosh-cpi-bench-<time>.md), each
# script's stderr to $OUT.<script>.log. ONLY="a.sh b.sh" runs a subset.
# Needs root, qemu:///system, virsh, jq, hyperfine, cc, pkg-config, GNU time (package `time`),
# and about 6 GiB free under /var/lib/libvirt/images and /var/tmp. Takes about 15 minutes.
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/.." && pwd)
BUILD_DIR=$(cd "${1:-$REPO/build}" && pwd) || exit 1
export BUILD_DIR
OUT=${OUT:-/var/tmp/bosh-cpi-bench-$(date +%Y%m%d-%H%M%S).md}
SCRIPTS=${ONLY:-info_has_vm.sh create_delete_vm.sh parallel_create.sh mac_allocation.sh rss.sh stemcell_import.sh disk_attach.sh}

[ -x "$BUILD_DIR/bosh-libvirt-cpi" ] || { echo "no $BUILD_DIR/bosh-libvirt-cpi: build first" >&2; exit 1; }
for tool in virsh jq hyperfine cc pkg-config /usr/bin/time; do
	command -v "$tool" >/dev/null || { echo "$tool missing" >&2; exit 1; }
done
source "$HERE/world.sh"

commit=$(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo unknown)
git -C "$REPO" diff --quiet HEAD 2>/dev/null || commit+=" + uncommitted changes"
{
	echo "# bosh-libvirt-cpi benchmarks, $(date -u +%Y-%m-%dT%H:%MZ)"
	echo
	echo "- command: \`bench/run.sh $BUILD_DIR\` (commit $commit)"
	echo "- machine: $(machine_description)"
	echo "- load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
} >"$OUT"

for script in $SCRIPTS; do
	if [ ! -f "$HERE/$script" ]; then
		printf '\n## %s\n\nnot present, skipped\n' "$script" >>"$OUT"
		continue
	fi
	echo "== $script (log: $OUT.$script.log)" >&2
	start=$(date +%s)
	bash "$HERE/$script" "$BUILD_DIR" >"$OUT.$script.out" 2>"$OUT.$script.log"
	rc=$?
	{
		printf '\n## %s (%d s)\n\n' "$script" $(($(date +%s) - start))
		[ "$rc" = 0 ] || printf '**FAILED** (exit %d); last lines of %s:\n\n```\n%s\n```\n\n' \
			"$rc" "$OUT.$script.log" "$(tail -n 15 "$OUT.$script.log")"
		cat "$OUT.$script.out"
	} >>"$OUT"
done

# Targets: the ratio lines the scripts print, plus ratios read from tables that print none.
# median LABEL-REGEX: the median column of the first table row whose label matches.
median() { awk -F'|' -v re="$1" '$2 ~ re {gsub(/ /, "", $0); print $0; exit}' "$OUT" | awk -F'|' '{print $(NF-2)}'; }
{
	echo
	echo "## Targets"
	echo
	grep -hE '^(info median|ratio |wait for init)' "$OUT" | sed 's/^/- /'
	a=$(median '^ attach_disk, stopped VM') b=$(median '^ virsh attach-device --config, stopped VM')
	[ -n "$a" ] && [ -n "$b" ] && awk -v a="$a" -v b="$b" 'BEGIN {printf "- ratio attach_disk / virsh, stopped VM (medians): %.2f (target <= 1.2)\n", a / b}'
	a=$(median '^ detach_disk, stopped VM') b=$(median '^ virsh detach-device-alias --config, stopped VM')
	[ -n "$a" ] && [ -n "$b" ] && awk -v a="$a" -v b="$b" 'BEGIN {printf "- ratio detach_disk / virsh, stopped VM (medians): %.2f (target <= 1.2)\n", a / b}'
	a=$(median '^ attach_disk, running VM') b=$(median '^ virsh attach-device --live --config, running VM')
	[ -n "$a" ] && [ -n "$b" ] && awk -v a="$a" -v b="$b" 'BEGIN {printf "- ratio attach_disk / virsh, running VM (medians): %.2f (target <= 1.2)\n", a / b}'
	over=$(grep -c '\*\*no\*\*' "$OUT")
	echo "- processes over 20 MiB peak RSS: $over (see rss.sh)"
	echo "- load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
} >>"$OUT"
cat "$OUT"
echo "summary written to $OUT" >&2
