#!/bin/bash
# Builds a BOSH stemcell with the real BOSH agent from Debian 12 packages.
#
#   stemcell/build-agent-stemcell.sh OUTDIR
#
# Output: OUTDIR/bosh-stemcell-<version>-openstack-kvm-debian-bookworm-go_agent.tgz (stemcell.MF,
# packages.txt, dev_tools_file_list.txt, image = gzip tar holding root.img, a qcow2 disk), plus
# root.raw, root.qcow2 and SHA256SUMS.  See stemcell/README.md, "Agent stemcell".
#
# The image: Debian bookworm (mmdebstrap --variant=required from deb.debian.org), the Debian kernel
# with unneeded module trees left out, systemd as init, systemd-networkd + resolvconf, runsvdir on
# /etc/service running the agent v2.505.0 (../shared/tools/bosh-agent.xz by default) and monit
# 5.2.5 built here from source; one ext4 partition /dev/vda1 on an msdos disk, booted by EXTLINUX
# with the console on ttyS0.  The files copied into the image are in stemcell/agent/.
#
# Needs root, network access to the Debian archive, and: mmdebstrap, extlinux, syslinux-common,
# e2fsprogs, fdisk, qemu-utils, xz-utils, build-essential, bison, flex (scripts/setup.sh).  Uses one
# loop mount (for `extlinux --install`).  A stamp of the inputs (this script, stemcell/agent/*, the
# agent and monit sources, the package list, the knobs, and the host's candidate versions of the
# kernel and systemd) makes a rebuild of an up-to-date OUTDIR a no-op.  Builds into one OUTDIR are
# serialised with flock; outputs are built in OUTDIR/.build.* and moved into place.
#
# Knobs: STEMCELL_VERSION (0.1.0), DISK_MIB (size of the raw disk, 400), SOURCE_DATE_EPOCH
#        (1700000000: file times in the image and archives), MIRROR (http://deb.debian.org/debian),
#        SECURITY_MIRROR (http://deb.debian.org/debian-security), BOSH_AGENT_XZ, MONIT_TAR_XZ,
#        FORCE=1 (rebuild even when up to date), KEEP_BUILD=1 (keep OUTDIR/.build.* for debugging).
set -euo pipefail

die() { echo "build-agent-stemcell.sh: $*" >&2; exit 1; }
say() { echo "build-agent-stemcell.sh: $*" >&2; }

[ $# -eq 1 ] || die "usage: $0 OUTDIR"
[ "$(id -u)" = 0 ] || die "must run as root (mmdebstrap root mode, chroot, loop mount)"
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/.." && pwd)
# shellcheck source=lib.sh
. "$HERE/lib.sh"
OUTDIR=$(stemcell_outdir "$1")

VERSION=${STEMCELL_VERSION:-0.1.0}
DISK_MIB=${DISK_MIB:-400}
EPOCH=${SOURCE_DATE_EPOCH:-1700000000}
MIRROR=${MIRROR:-http://deb.debian.org/debian}
SECURITY_MIRROR=${SECURITY_MIRROR:-http://deb.debian.org/debian-security}
SHARED_TOOLS=$(bash "$REPO/scripts/shared-dir.sh")/tools
AGENT_XZ=${BOSH_AGENT_XZ:-$SHARED_TOOLS/bosh-agent.xz}
MONIT_TXZ=${MONIT_TAR_XZ:-$SHARED_TOOLS/monit-5.2.5.tar.xz}
NAME=bosh-openstack-kvm-debian-bookworm-go_agent
TGZ=bosh-stemcell-$VERSION-openstack-kvm-debian-bookworm-go_agent.tgz
PART_START=2048 # sectors: the partition starts at 1 MiB
DISK_ID=0x626f7368
ROOT_UUID=6b6f7368-0000-4000-8000-626f73680001
MBR_BIN=/usr/lib/syslinux/mbr/mbr.bin
A=$HERE/agent

[ -r "$AGENT_XZ" ] || die "$AGENT_XZ missing (the BOSH agent, xz-compressed)"
[ -r "$MONIT_TXZ" ] || die "$MONIT_TXZ missing (monit 5.2.5 source)"
[ -r "$MBR_BIN" ] || die "$MBR_BIN missing (package syslinux-common)"
for tool in mmdebstrap extlinux mkfs.ext4 sfdisk qemu-img xz gcc make bison flex flock \
	sha256sum sha1sum mount umount chroot; do
	command -v "$tool" >/dev/null || die "$tool missing (run scripts/setup.sh)"
done

# Debian packages of the image (besides the "required" priority set: util-linux, mount, e2fsprogs,
# passwd, coreutils, tar, gzip, bash, dash, hostname, procps...).  Each line says who needs it.
PACKAGES=(
	systemd systemd-sysv udev kmod dbus       # init, /dev/disk/by-{id,label}, module autoload
	linux-image-amd64 initramfs-tools         # kernel (virtio, ata_piix, isofs are modules)
	iproute2 iputils-arping resolvconf        # agent networking (networkd files + resolvconf -u)
	procps                                    # pkill, sysctl (agent networking, IPv6)
	runit                                     # runsvdir/sv/svlogd: the agent drives monit with sv
	parted fdisk                              # agent disk partitioning
	ca-certificates                           # update-ca-certificates (update_settings)
)
# Not in the image: cloud-guest-utils (growpart; it pulls python3, and the agent skips root-disk
# growth without it), openssh-server (only `bosh ssh` needs it), chrony (sync-time), Debian's monit.
# Kept out of the image by dpkg: documentation, locales, udev's hardware database sources (the
# by-id/by-label links do not use it), and module trees no VM here uses.
# (Quoted: these are dpkg's patterns, not the host's file names.)
EXCLUDES=(
	'/usr/share/doc/*' '/usr/share/man/*' '/usr/share/info/*' '/usr/share/locale/*'
	'/usr/share/lintian/*' '/usr/lib/udev/hwdb.d/*'
)
INCLUDES=('/usr/share/doc/*/copyright')
for d in drivers/gpu drivers/media drivers/infiniband drivers/iio drivers/staging drivers/comedi \
	drivers/bluetooth drivers/isdn drivers/hwmon drivers/mtd drivers/net/wireless \
	drivers/net/ethernet drivers/net/usb drivers/net/can drivers/nfc drivers/firewire \
	drivers/pcmcia drivers/parport drivers/thunderbolt drivers/memstick drivers/mmc drivers/leds \
	drivers/gnss drivers/w1 drivers/soundwire drivers/atm drivers/accessibility drivers/usb \
	drivers/video drivers/platform drivers/input/joystick drivers/input/touchscreen \
	drivers/input/tablet drivers/spi drivers/i2c drivers/mfd drivers/power drivers/hid \
	drivers/scsi/qla2xxx drivers/scsi/lpfc drivers/scsi/bfa drivers/scsi/qla4xxx \
	drivers/scsi/mpt3sas drivers/scsi/megaraid drivers/scsi/be2iscsi drivers/scsi/bnx2fc \
	drivers/scsi/fnic drivers/scsi/qedf drivers/scsi/qedi drivers/scsi/csiostor \
	drivers/scsi/aic7xxx drivers/scsi/aacraid drivers/scsi/pm8001 drivers/scsi/smartpqi \
	drivers/cpufreq drivers/edac arch/x86/kvm \
	sound net/wireless net/mac80211 net/bluetooth net/nfc net/can net/6lowpan net/ieee802154 \
	net/mac802154 fs/ocfs2 fs/gfs2 fs/f2fs fs/nfsd fs/ubifs fs/jffs2 fs/nilfs2 fs/reiserfs \
	fs/hfs fs/hfsplus fs/orangefs fs/ceph fs/smb; do
	EXCLUDES+=("/lib/modules/*/kernel/$d/*")
done

OUTPUTS="root.raw root.qcow2 packages.txt $TGZ SHA256SUMS"

# Serialize builds into the same OUTDIR (tests may run in parallel).
stemcell_lock "$OUTDIR"

input_hash() {
	(
		cd "$HERE"
		echo "== build-agent-stemcell.sh"
		cat build-agent-stemcell.sh
		echo "== lib.sh"
		cat lib.sh
		for f in agent/*; do # sorted by LC_ALL=C
			[ -f "$f" ] || continue
			case $f in agent/README.md) continue ;; esac
			echo "== $f"
			cat "$f"
		done
		sha256sum "$AGENT_XZ" "$MONIT_TXZ" "$MBR_BIN" | cut -d' ' -f1
		echo "version=$VERSION disk=$DISK_MIB epoch=$EPOCH mirror=$MIRROR sec=$SECURITY_MIRROR"
		# Offline hint of archive updates: the host's candidate versions (from its own apt lists).
		apt-cache policy linux-image-amd64 systemd 2>/dev/null | grep -E '^[a-z]|Candidate' || true
		dpkg-query -W extlinux e2fsprogs gcc 2>/dev/null || true
	) | sha256sum | cut -d' ' -f1
}
STAMP=$(input_hash)

# shellcheck disable=SC2086 # OUTPUTS is a word list
if stemcell_up_to_date "$OUTDIR" "$STAMP" $OUTPUTS; then
	say "$OUTDIR is up to date ($TGZ)"
	exit 0
fi

t0=$(date +%s)
W=$(mktemp -d "$OUTDIR/.build.XXXXXX")
MNT=$W/mnt
monit_pid=''
cleanup() {
	[ -z "$monit_pid" ] || kill "$monit_pid" 2>/dev/null || true
	[ -z "$monit_pid" ] || wait "$monit_pid" 2>/dev/null || true
	mountpoint -q "$MNT" 2>/dev/null && umount "$MNT"
	[ "${KEEP_BUILD:-0}" = 1 ] || rm -rf "$W"
}
trap cleanup EXIT
rm -f "$OUTDIR/.stamp"

# --- monit 5.2.5, built on this (Debian 12) host while mmdebstrap runs ---------------------------
# The binary needs only libc and libcrypt, both in the image; checked below by running it there.
build_monit() {
	mkdir -p "$W/monit-src"
	tar -xJf "$MONIT_TXZ" -C "$W/monit-src" --strip-components=1
	cd "$W/monit-src"
	./configure --prefix=/var/vcap/bosh --without-ssl --without-pam CFLAGS="-O2 -fcommon" \
		>"$W/monit-build.log" 2>&1
	make -j"$(nproc)" >>"$W/monit-build.log" 2>&1
	strip -o "$W/monit" monit
}
build_monit &
monit_pid=$!

# --- root file system ----------------------------------------------------------------------------
R=$W/root
# merged-usr hook: a merged /usr made by mmdebstrap (usr-is-merged), not by the usrmerge package,
# which would pull perl into the image.
mm_args=(--variant=required --mode=root --format=directory
	--hook-dir=/usr/share/mmdebstrap/hooks/merged-usr
	--aptopt='APT::Install-Recommends "false"'
	--include="$(
		IFS=,
		echo "${PACKAGES[*]}"
	)"
	--dpkgopt=force-unsafe-io)
for p in "${EXCLUDES[@]}"; do mm_args+=("--dpkgopt=path-exclude=$p"); done
for p in "${INCLUDES[@]}"; do mm_args+=("--dpkgopt=path-include=$p"); done
# Before any package is installed: the initramfs holds only what mounting /dev/vda1 needs
# (MODULES=list), so the kernel's postinst builds the one and only initramfs small and fast.
mm_args+=(--essential-hook="mkdir -p \"\$1/etc/initramfs-tools/conf.d\" \"\$1/usr/share/initramfs-tools/modules.d\""
	--essential-hook="printf 'MODULES=list\n' >\"\$1/etc/initramfs-tools/conf.d/bosh-stemcell.conf\""
	--essential-hook="cp '$A/initramfs-modules' \"\$1/usr/share/initramfs-tools/modules.d/bosh-stemcell\""
	--customize-hook="cp '$A/runsvdir-bosh.service' \"\$1/etc/systemd/system/runsvdir-bosh.service\""
	--customize-hook="chroot \"\$1\" /bin/sh -s <'$A/customize.sh'")
say "mmdebstrap bookworm (${#PACKAGES[@]} packages + required) into $R"
SOURCE_DATE_EPOCH=$EPOCH mmdebstrap "${mm_args[@]}" bookworm "$R" \
	"deb $MIRROR bookworm main" "deb $MIRROR bookworm-updates main" \
	"deb $SECURITY_MIRROR bookworm-security main" >"$W/mmdebstrap.log" 2>&1 ||
	{ tail -n 40 "$W/mmdebstrap.log" >&2; die "mmdebstrap failed (log above)"; }
t_debootstrap=$(($(date +%s) - t0))

wait "$monit_pid" || { tail -n 20 "$W/monit-build.log" >&2; die "building monit 5.2.5 failed"; }
monit_pid=''

KVER=$(cd "$R/boot" && ls vmlinuz-* | sed 's/^vmlinuz-//' | sort -V | tail -n 1)
[ -n "$KVER" ] && [ -f "$R/boot/initrd.img-$KVER" ] || die "no kernel/initramfs in the image"

# --- the agent, monit and their files --------------------------------------------------------
B=$R/var/vcap/bosh
xz -dc "$AGENT_XZ" >"$B/bin/bosh-agent"
chmod 0755 "$B/bin/bosh-agent"
install -m 0755 "$W/monit" "$B/bin/monit"
install -m 0755 "$A/bosh-agent-rc" "$A/restart_networking" "$A/bosh-start-logging-and-auditing" "$B/bin/"
install -m 0644 "$A/agent.json" "$B/agent.json"
install -m 0700 "$A/monitrc" "$B/etc/monitrc"
install -m 0644 "$A/empty.monitrc" "$R/var/vcap/monit/empty.monitrc"
install -m 0600 "$A/alerts.monitrc" "$R/var/vcap/monit/alerts.monitrc"
echo ubuntu >"$B/etc/operating_system" # the agent's platform name (-P ubuntu)
echo "$VERSION" >"$B/etc/stemcell_version"
git -C "$REPO" rev-parse HEAD >"$B/etc/stemcell_git_sha1" 2>/dev/null || echo unknown >"$B/etc/stemcell_git_sha1"
install -d -m 0755 "$R/etc/sv/agent/log" "$R/etc/sv/monit/log"
install -m 0755 "$A/sv-agent-run" "$R/etc/sv/agent/run"
install -m 0755 "$A/sv-agent-log-run" "$R/etc/sv/agent/log/run"
install -m 0755 "$A/sv-monit-run" "$R/etc/sv/monit/run"
install -m 0755 "$A/sv-monit-log-run" "$R/etc/sv/monit/log/run"
: >"$R/etc/sv/monit/down"

# Self-checks inside the image: both binaries run there and monit accepts its configuration.
[[ $(chroot "$R" /var/vcap/bosh/bin/monit -V) == *'version 5.2.5'* ]] || die "monit does not run in the image"
# (monit.user is written by the agent at every boot; a placeholder stands in for this check.)
echo vcap:placeholder >"$R/var/vcap/monit/monit.user"
chroot "$R" /var/vcap/bosh/bin/monit -t -c /var/vcap/bosh/etc/monitrc >"$W/monit-check.log" 2>&1 ||
	{ cat "$W/monit-check.log" >&2; die "monit rejects /var/vcap/bosh/etc/monitrc"; }
rm -f "$R/var/vcap/monit/monit.user" "$R/var/vcap/monit/monit.log" "$R/var/vcap/monit/monit.state" "$R/var/vcap/monit/monit.id" "$R/root/.monit.id"
chroot "$R" /var/vcap/bosh/bin/bosh-agent -v >/dev/null 2>&1 || die "bosh-agent does not run in the image"
for g in syslog admin bosh_sshers bosh_sudoers vcap; do
	chroot "$R" getent group "$g" >/dev/null || die "group $g missing in the image"
done
[ "$(chroot "$R" id -u vcap)" = 1000 ] || die "user vcap is not uid 1000"
[ -e "$R/usr/bin/monit" ] && die "Debian's monit is in the image"

# --- boot loader configuration ---------------------------------------------------------------
install -d -m 0755 "$R/boot/extlinux"
stemcell_syslinux_cfg "/boot/vmlinuz-$KVER" "/boot/initrd.img-$KVER" \
	"root=/dev/vda1 rw console=ttyS0,115200n8" >"$R/boot/extlinux/extlinux.conf"

{
	dpkg-query --admindir="$R/var/lib/dpkg" -W -f='${Package} ${Version}\n'
	echo "bosh-agent $(chroot "$R" /var/vcap/bosh/bin/bosh-agent -v 2>&1 | head -n 1)"
	echo "monit 5.2.5 (built from source)"
} | sort >"$W/packages.txt"
: >"$W/dev_tools_file_list.txt"

# --- disk image: msdos label, one bootable ext4 partition, EXTLINUX ----------------------------
find "$R" -xdev -exec touch -h -d "@$EPOCH" {} +
used_mib=$(du -smx "$R" | cut -f1)
part_sectors=$((DISK_MIB * 2048 - PART_START))
truncate -s $((part_sectors * 512)) "$W/part.img"
# ^64bit: EXTLINUX 6.04 cannot boot from 64bit ext4.  -b 4096: mke2fs would pick 1 KiB blocks
# for a file system this small.  Fixed UUID and hash seed, fake time: cheap steps towards a
# reproducible file system.
E2FSPROGS_FAKE_TIME=$EPOCH mkfs.ext4 -q -F -b 4096 -O ^64bit -L bosh-root -U "$ROOT_UUID" \
	-E "hash_seed=$ROOT_UUID,root_owner=0:0" -m 1 -d "$R" "$W/part.img" ||
	die "mkfs.ext4 -d failed (image content $used_mib MiB, disk $DISK_MIB MiB: raise DISK_MIB?)"
mkdir -p "$MNT"
mount -o loop "$W/part.img" "$MNT"
# mkfs.ext4 -d leaves all-zero blocks of files as holes; EXTLINUX fails on holes ("I/O error"
# loading the kernel), so the kernel and initramfs are rewritten without any.
for f in "$MNT/boot/vmlinuz-$KVER" "$MNT/boot/initrd.img-$KVER"; do
	cp --sparse=never -p "$f" "$f.dense"
	mv "$f.dense" "$f"
done
extlinux --install "$MNT/boot/extlinux" >/dev/null 2>&1 || die "extlinux --install failed"
umount "$MNT"

stemcell_mbr_disk "$W/root.raw" "$DISK_MIB" "$DISK_ID" 83 "$W/part.img"
rm -f "$W/part.img"
qemu-img convert -f raw -O qcow2 "$W/root.raw" "$W/root.qcow2"
touch -d "@$EPOCH" "$W/root.raw" "$W/root.qcow2"

# --- stemcell tarball ------------------------------------------------------------------------
make_tgz() { stemcell_make_tgz "$EPOCH" "$@"; } # OUT DIR MEMBER...
S=$W/stemcell
mkdir -p "$S/img"
ln "$W/root.qcow2" "$S/img/root.img"
make_tgz "$S/image" "$S/img" root.img
cp "$W/packages.txt" "$W/dev_tools_file_list.txt" "$S/"
stemcell_manifest "$NAME" "$VERSION" debian-bookworm "$DISK_MIB" qcow2 "$S/image" \
	openstack-qcow2 >"$S/stemcell.MF"
touch -d "@$EPOCH" "$S"/*
make_tgz "$W/$TGZ" "$S" stemcell.MF packages.txt dev_tools_file_list.txt image

rm -rf "$R" "$S" # before the summary: deleting the tree is part of the build time
(cd "$W" && sha256sum root.raw root.qcow2 packages.txt "$TGZ") >"$W/SHA256SUMS"
# shellcheck disable=SC2086 # OUTPUTS is a word list
stemcell_publish "$W" "$OUTDIR" "$STAMP" $OUTPUTS
say "built $OUTDIR/$TGZ: kernel $KVER, image content $used_mib MiB, disk $DISK_MIB MiB," \
	"qcow2 $(($(stat -c %s "$OUTDIR/root.qcow2") / 1048576)) MiB," \
	"tarball $(($(stat -c %s "$OUTDIR/$TGZ") / 1048576)) MiB;" \
	"mmdebstrap ${t_debootstrap}s, total $(($(date +%s) - t0))s"
