#!/usr/bin/env bash
# Portability proof of the release's package (CTest label `portability`): on a Debian 11 root
# filesystem (glibc 2.31, older than the Ubuntu jammy stemcell's 2.35; debootstrap minbase from
# deb.debian.org, no libvirt), the release's package is compiled the way
# BOSH compiles it (its packaging script, in the old system) into /var/vcap/packages, the job
# into /var/vcap/jobs, and the job's bin/cpi runs in a chroot against the host's libvirtd through
# the bind-mounted socket: `info`, then create_disk / has_disk / delete_disk / has_disk in a
# storage pool of the test's own (unique name, removed afterwards). It also checks that every
# object the process maps comes from the package (LD_DEBUG), and that the bare executable does
# NOT run there (so the bundle, not luck, is what makes it run).
#
# The root filesystem is cached in $CPI_BINARY_DIR/portability/ (stamp of its inputs). The job's
# templates are rendered here by a few lines of Ruby ERB with the spec's defaults: what BOSH's own
# rendering produces is release_templates_test.sh's subject. Needs root, debootstrap, ruby, a
# running libvirtd, the release tarball (tests/bosh/release_lib.sh).
set -euo pipefail
test_name=portability
source "$(dirname "$0")/release_lib.sh"

suite=bullseye
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
cache=$build_dir/portability
rootfs=$cache/$suite
virsh=(virsh -q -c qemu:///system)
command -v debootstrap >/dev/null || fail "debootstrap is needed (scripts/setup.sh installs it)"
release=$(cpi_release)

# A run killed before its cleanup leaves its mounts (the host's /run/libvirt among them) inside
# the cached root: unmount them before anything else, and never remove across a mount point.
unmount_leftovers() {
  local m
  for m in $(awk -v r="$rootfs/" 'index($2, r) == 1 {print $2}' /proc/self/mounts | sort -r); do
    say "unmounting leftover $m"
    umount "$m" 2>/dev/null || umount -l "$m"
  done
}
unmount_leftovers

# --- the Debian 11 root filesystem, cached ----------------------------------------------------
stamp="$suite minbase $mirror debootstrap $(dpkg-query -W -f='${Version}' debootstrap 2>/dev/null)"
if [ ! -f "$rootfs/.stamp" ] || [ "$(cat "$rootfs/.stamp")" != "$stamp" ]; then
  say "debootstrap --variant=minbase $suite (cached in $rootfs)"
  rm -rf --one-file-system "$rootfs" "$rootfs.new"
  mkdir -p "$cache"
  debootstrap --variant=minbase "$suite" "$rootfs.new" "$mirror" >"$cache/debootstrap.log" 2>&1 || {
    tail -n 30 "$cache/debootstrap.log" >&2
    fail "debootstrap failed"
  }
  echo "$stamp" >"$rootfs.new/.stamp"
  mv "$rootfs.new" "$rootfs"
fi
# awk, not head: with pipefail, head closing the pipe early kills ldd (a script that prints
# line by line) with SIGPIPE and the assignment fails the test at random.
glibc=$(chroot "$rootfs" /usr/bin/ldd --version | awk 'NR == 1 {print $NF}')
[ "$glibc" = 2.31 ] || fail "the $suite root has glibc $glibc, expected 2.31"
# (minbase has bullseye's own libstdc++, GCC 10's: older than the one the CPI needs.)
if find "$rootfs/usr/lib" "$rootfs/lib" -name 'libvirt.so*' -o -name 'libsimdjson*' 2>/dev/null |
  grep -q .; then
  fail "the $suite root has libvirt or simdjson: it would not prove anything"
fi

# --- this run's world ---------------------------------------------------------------------------
id=$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')
pool=cpitest-port-$id
pool_dir=/var/lib/libvirt/images/$pool
work=$(mktemp -d)
mounted=()
cleanup() {
  local rc=$? i vol
  for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do umount "${mounted[i]}" 2>/dev/null || umount -l "${mounted[i]}"; done
  if "${virsh[@]}" pool-info "$pool" >/dev/null 2>&1; then
    for vol in $("${virsh[@]}" vol-list "$pool" 2>/dev/null | awk '{print $1}'); do
      "${virsh[@]}" vol-delete --pool "$pool" "$vol" >/dev/null 2>&1 || true
    done
    "${virsh[@]}" pool-destroy "$pool" >/dev/null 2>&1 || true
  fi
  [ "${KEEP_WORK:-0}" = 1 ] && say "kept $work" || rm -rf "$work"
  unmount_leftovers
  rm -rf --one-file-system "$pool_dir" "$rootfs/var/vcap" "$rootfs/tmp/compile"
  exit "$rc"
}
trap cleanup EXIT
mkdir -p "$pool_dir"
"${virsh[@]}" pool-create-as "$pool" dir --target "$pool_dir" >/dev/null || fail "creating pool $pool"

# --- the release, installed the way BOSH installs it -------------------------------------------
rm -rf --one-file-system "$rootfs/var/vcap" "$rootfs/tmp/compile"
mkdir -p "$work/release" "$rootfs/tmp/compile" "$rootfs/var/vcap/packages/bosh-libvirt-cpi" \
  "$rootfs/var/vcap/jobs/libvirt_cpi" "$rootfs/var/vcap/data/tmp"
tar -xzf "$release" -C "$work/release"
tar -xzf "$work/release/packages/bosh-libvirt-cpi.tgz" -C "$rootfs/tmp/compile"
# Compiled in the old system, as on a compilation VM: its packaging script with bash -x.
chroot "$rootfs" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
  BOSH_INSTALL_TARGET=/var/vcap/packages/bosh-libvirt-cpi BOSH_COMPILE_TARGET=/tmp/compile \
  /bin/bash -c 'cd /tmp/compile && bash -x packaging' >"$work/packaging.log" 2>&1 || {
  cat "$work/packaging.log" >&2
  fail "the package's packaging script failed in the $suite root"
}
mkdir -p "$work/release/job"
tar -xzf "$work/release/jobs/libvirt_cpi.tgz" -C "$work/release/job"
job=$rootfs/var/vcap/jobs/libvirt_cpi
mkdir -p "$job/bin" "$job/config"
# Spec defaults plus this test's properties (render_job, tests/bosh/release_lib.sh).
cat >"$work/props.json" <<EOF
{"libvirt": {"uri": "qemu:///system", "storage_pool": "$pool", "domain_type": "qemu"},
 "agent": {"mbus": "https://mbus:secret@0.0.0.0:6868"},
 "lock_dir": "/var/vcap/data/tmp/locks"}
EOF
render_job "$work/release/job" "$work/props.json" "$job" || fail "rendering the job"
"$build_dir/bosh-libvirt-cpi" --check-config "$job/config/cpi.json" >&2 || fail "rendered cpi.json is invalid"

# --- the chroot, with the host's libvirt socket ------------------------------------------------
mkdir -p "$rootfs/run/libvirt" "$rootfs/proc"
# Read-only: connecting to a socket needs no writable file system, and nothing done through the
# chroot's path (or a careless `rm -rf` of the build folder while it is mounted) can touch the
# host's /run/libvirt.
mount --bind /run/libvirt "$rootfs/run/libvirt" && mounted+=("$rootfs/run/libvirt")
mount -o remount,bind,ro "$rootfs/run/libvirt"
mount -t proc proc "$rootfs/proc" && mounted+=("$rootfs/proc")

# call JSON [ENV...]: runs bin/cpi in the chroot with create-env's environment (or the given
# one), the request on stdin; prints the response.
call() {
  local request=$1
  shift
  local env=("$@")
  [ ${#env[@]} -gt 0 ] || env=(BOSH_PACKAGES_DIR=/var/vcap/packages BOSH_JOBS_DIR=/var/vcap/jobs)
  chroot "$rootfs" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin "${env[@]}" \
    /var/vcap/jobs/libvirt_cpi/bin/cpi <<<"$request" 2>>"$work/cpi.stderr"
}

r=$(call '{"method":"info","arguments":[],"context":{"director_uuid":"portability"}}')
[ "$(jq -c .result.api_version <<<"$r")" = 2 ] || fail "info: $r"
say "info in the $suite chroot: $r"

# Every object the process maps comes from the package: the loader reports each file it tries
# while searching (a search that left the bundle's folder would show here), each it dlopens and
# each whose initialisers it runs.
call '{"method":"has_disk","arguments":["disk-none"],"context":{}}' \
  BOSH_PACKAGES_DIR=/var/vcap/packages BOSH_JOBS_DIR=/var/vcap/jobs LD_DEBUG=libs,files >/dev/null
# (env and sh, which exec the loader in the same process, report first: skip to the CPI.)
loaded=$(awk '/file=\/var\/vcap\/packages\/bosh-libvirt-cpi\/bin\/bosh-libvirt-cpi .*generating link map/ {cpi = 1}
  cpi' "$work/cpi.stderr" | sed -n -e 's/.*trying file=\(\/[^ ]*\).*/\1/p' \
  -e 's/.*opening file=\(\/[^ ]*\).*/\1/p' -e 's/.*calling init: \(\/[^ ]*\).*/\1/p' | sort -u)
[ -n "$loaded" ] || fail "LD_DEBUG reported nothing"
outside=$(grep -v '^/var/vcap/packages/bosh-libvirt-cpi/' <<<"$loaded" || true)
[ -z "$outside" ] || fail "objects loaded from outside the package: $outside"
grep -q 'libvirt.so.0$' <<<"$loaded" || fail "libvirt was not loaded from the package: $loaded"
: >"$work/cpi.stderr"

# A Director VM sets neither BOSH_PACKAGES_DIR nor BOSH_JOBS_DIR: /var/vcap is the default.
disk_roundtrip "without BOSH_*_DIR" LANG=C

# Without the bundle's loader, the executable does not run on this system at all.
if chroot "$rootfs" /var/vcap/packages/bosh-libvirt-cpi/bin/bosh-libvirt-cpi --version >"$work/bare" 2>&1; then
  fail "the bare executable ran on glibc $glibc: the test proves nothing"
fi
say "bare executable on glibc $glibc: $(head -n1 "$work/bare")"
say "ok"
