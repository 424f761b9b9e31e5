#!/usr/bin/env bash
# Installs everything bosh-libvirt-cpi needs on Debian 12, builds it, and makes sure virtlogd and
# libvirtd are running and answering. Idempotent: a second run installs nothing, rebuilds only
# what changed and leaves running daemons alone.
#
# Knobs (environment):
#   SKIP_INSTALL=1   do not touch packages
#   SKIP_BUILD=1     do not build
#   BUILD_DIR=DIR    build folder (default: <repo>/build)
#   BUILD_TYPE=T     CMake build type (default: RelWithDebInfo)
#   WAIT_SECS=N      how long to wait for the libvirt API (default: 90)
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
build_dir=${BUILD_DIR:-$repo/build}
wait_secs=${WAIT_SECS:-90}

say() { printf '[setup] %s\n' "$*" >&2; }

# Build, tests, daemons and the test stemcell. Listed explicitly because we install without
# recommends: dnsmasq-base (libvirt network DHCP) is only a Recommends of the daemon.
packages=(
  build-essential cmake ninja-build pkg-config clang-format
  libvirt-dev libsimdjson-dev libboost-filesystem-dev libguestfs-dev libgtest-dev libgmock-dev
  libarchive-dev libisofs-dev nlohmann-json3-dev libkainjow-mustache-dev libspdlog-dev libpugixml-dev
  libvirt-daemon-system libvirt-daemon-system-sysv libvirt-clients qemu-system-x86 qemu-utils
  dnsmasq-base nftables iptables
  linux-image-amd64 busybox-static syslinux syslinux-common mtools dosfstools fdisk cpio kmod
  genisoimage jq gzip tar python3 hyperfine valgrind time gnuplot-nox
  clang-14 libclang-rt-14-dev
  mmdebstrap bison flex extlinux e2fsprogs xz-utils
  debootstrap ruby
  openssh-server openssh-client
  strace
)

install_packages() {
  local missing=()
  local p
  for p in "${packages[@]}"; do
    if ! dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null | grep -qx installed; then
      missing+=("$p")
    fi
  done
  if [ ${#missing[@]} -eq 0 ]; then
    say "all ${#packages[@]} packages present"
    return
  fi
  say "installing: ${missing[*]}"
  # Package scripts must not try to start services (no systemd here; CI neither).
  local added_policy=0
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
    chmod +x /usr/sbin/policy-rc.d
    added_policy=1
  fi
  export DEBIAN_FRONTEND=noninteractive
  if ! apt-get install -y -q --no-install-recommends "${missing[@]}" >/tmp/bosh-libvirt-cpi-apt.log 2>&1; then
    say "apt-get install failed; updating package lists and retrying"
    apt-get update -q >>/tmp/bosh-libvirt-cpi-apt.log 2>&1
    apt-get install -y -q --no-install-recommends "${missing[@]}" >>/tmp/bosh-libvirt-cpi-apt.log 2>&1 ||
      { tail -n 30 /tmp/bosh-libvirt-cpi-apt.log >&2; exit 1; }
  fi
  [ "$added_policy" = 1 ] && rm -f /usr/sbin/policy-rc.d
  say "packages installed"
}

# True when the pid file names a live process running the given executable.
running() {
  local pidfile=$1 exe=$2 pid
  [ -r "$pidfile" ] || return 1
  pid=$(cat "$pidfile" 2>/dev/null) || return 1
  [ -n "$pid" ] && [ "$(readlink -f "/proc/$pid/exe" 2>/dev/null)" = "$exe" ]
}

have_systemd() { [ -d /run/systemd/system ]; }

start_daemons() {
  # libvirt 9.0 starts no domain on an isolated network without DHCP/DNS unless this exists.
  mkdir -p /var/lib/libvirt/dnsmasq
  if have_systemd; then
    systemctl start virtlogd.socket libvirtd.socket libvirtd.service 2>/dev/null ||
      systemctl start virtlogd libvirtd
  else
    mkdir -p /var/log/libvirt /run/libvirt
    if ! running /run/virtlogd.pid /usr/sbin/virtlogd; then
      say "starting virtlogd"
      virtlogd -d
    fi
    if ! running /run/libvirtd.pid /usr/sbin/libvirtd; then
      say "starting libvirtd"
      LIBVIRT_LOG_OUTPUTS="3:file:/var/log/libvirt/libvirtd.log" libvirtd -d
    fi
  fi
  local i
  for ((i = 0; i < wait_secs * 5; i++)); do
    if virsh -q -c qemu:///system version >/dev/null 2>&1; then
      say "libvirt API answers on qemu:///system"
      return
    fi
    sleep 0.2
  done
  say "libvirt did not answer within ${wait_secs}s; see /var/log/libvirt/libvirtd.log"
  exit 1
}

build() {
  say "building in $build_dir"
  cmake -S "$repo" -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE="${BUILD_TYPE:-RelWithDebInfo}" \
    ${CMAKE_ARGS:-} >/dev/null
  cmake --build "$build_dir" -- -j"$(nproc)" | tail -n 3 >&2
}

[ "${SKIP_INSTALL:-0}" = 1 ] || install_packages
start_daemons
[ "${SKIP_BUILD:-0}" = 1 ] || build
