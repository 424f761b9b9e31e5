#!/bin/bash
# Builds the bootable BOSH test stemcell from Debian 12 packages only.
#
#   stemcell/build.sh OUTDIR
#
# Output (see stemcell/README.md): root.raw, root.qcow2, vmlinuz, initrd.gz,
# image-raw, image-qcow2 (what the Director passes to create_stemcell),
# bosh-stemcell-<ver>-openstack-kvm-tiny{,-raw}.tgz and SHA256SUMS.
#
# Needs: linux-image-amd64, busybox-static, jq, syslinux, syslinux-common,
# mtools, dosfstools, fdisk, cpio, kmod, qemu-utils.  No root mounts, loop
# devices, KVM or network.  Output is byte-reproducible: fixed mtimes
# (SOURCE_DATE_EPOCH, default below), sorted archives, gzip -n, fixed volume
# and disk IDs.  A stamp (hash of the stemcell/ files, kernel, package
# versions and knobs) makes a rebuild of an up-to-date OUTDIR a no-op.
#
# Knobs: KVER (default: newest /boot/vmlinuz-*), STEMCELL_VERSION (0.0.1),
#        SOURCE_DATE_EPOCH, FORCE=1 (rebuild even when up to date).
set -euo pipefail

die() { echo "build.sh: $*" >&2; exit 1; }

[ $# -eq 1 ] || die "usage: $0 OUTDIR"
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib.sh
. "$HERE/lib.sh"
OUTDIR=$(stemcell_outdir "$1")

EPOCH=${SOURCE_DATE_EPOCH:-1700000000}
VERSION=${STEMCELL_VERSION:-0.0.1}
DISK_MIB=64
PART_START=2048 # sectors: the partition starts at 1 MiB
DISK_ID=0x626f7368
CMDLINE="console=ttyS0,115200n8 net.ifnames=0 biosdevname=0 quiet"
NAME=bosh-openstack-kvm-tiny
OS=tiny

if [ -z "${KVER:-}" ]; then
	newest=$(printf '%s\n' /boot/vmlinuz-* | sort -V | tail -n 1)
	[ -e "$newest" ] || newest=''
	[ -n "$newest" ] || die "no /boot/vmlinuz-*: install linux-image-amd64"
	KVER=${newest#/boot/vmlinuz-}
fi
KERNEL=/boot/vmlinuz-$KVER
[ -r "$KERNEL" ] || die "$KERNEL not readable"
[ -d "/lib/modules/$KVER" ] || die "/lib/modules/$KVER missing"

BUSYBOX=/usr/bin/busybox
JQ=/usr/bin/jq
MBR_BIN=/usr/lib/syslinux/mbr/mbr.bin
for f in "$BUSYBOX" "$JQ" "$MBR_BIN"; do
	[ -r "$f" ] || die "$f missing (packages: busybox-static jq syslinux-common)"
done
for tool in mkfs.vfat mcopy syslinux sfdisk cpio gzip modprobe qemu-img tar sha1sum flock; do
	command -v "$tool" >/dev/null || die "$tool missing"
done

# Guest modules; the rest (PCI/ACPI hotplug, 8250 serial, AF_PACKET, FS
# basics) is built into Debian's kernel.  Dependencies are added below.
MODULES="virtio_pci virtio_blk virtio_net virtio_rng
	ata_piix ahci sr_mod cdrom scsi_mod
	isofs vfat nls_cp437 nls_ascii nls_utf8 nls_iso8859_1
	ext4 crc32c_generic button evdev"

OUTPUTS="root.raw root.qcow2 vmlinuz initrd.gz image-raw image-qcow2
	bosh-stemcell-$VERSION-openstack-kvm-tiny.tgz
	bosh-stemcell-$VERSION-openstack-kvm-tiny-raw.tgz SHA256SUMS"

# Serialize builds into the same OUTDIR (tests may run in parallel).
stemcell_lock "$OUTDIR"

input_hash() {
	(
		cd "$HERE"
		for f in *; do # sorted by LC_ALL=C
			[ -f "$f" ] || continue
			# Not inputs of this image: the docs, the libvirt smoke tests, the agent stemcell.
			case $f in README.md | smoke-test.sh | build-agent-stemcell.sh | agent-smoke-test.sh) continue ;; esac
			echo "== $f"
			cat "$f"
		done
		echo "kver=$KVER epoch=$EPOCH version=$VERSION"
		sha256sum "$KERNEL"
		dpkg-query -W busybox-static jq libjq1 libonig5 libc6 syslinux syslinux-common \
			"linux-image-$KVER" 2>/dev/null || true
	) | sha256sum | cut -d' ' -f1
}
STAMP=$(input_hash)

# shellcheck disable=SC2086 # OUTPUTS is a word list
if stemcell_up_to_date "$OUTDIR" "$STAMP" $OUTPUTS; then
	echo "build.sh: $OUTDIR is up to date (kernel $KVER)"
	exit 0
fi

W=$(mktemp -d "$OUTDIR/.build.XXXXXX")
trap 'rm -rf "$W"' EXIT
rm -f "$OUTDIR/.stamp"

# --- initramfs ----------------------------------------------------------------
R=$W/initramfs
mkdir -p "$R"/{bin,sbin,usr/bin,usr/sbin,lib/bosh-test,lib/x86_64-linux-gnu,lib64} \
	"$R"/{etc/bosh-test,etc/acpi/PWRF,proc,sys,dev,run,tmp,mnt/config,root}

# Only /bin/sh here; /init runs `busybox --install -s` for the other applets.
cp "$BUSYBOX" "$R/bin/busybox"
ln -s busybox "$R/bin/sh"

# jq plus the shared libraries and loader it needs, at the paths ldd names.
cp -L "$JQ" "$R/usr/bin/jq"
for lib in $(ldd "$JQ" | awk '$2 == "=>" && $3 ~ /^\// {print $3} $1 ~ /^\// {print $1}' | sort -u); do
	mkdir -p "$R$(dirname "$lib")"
	cp -L "$lib" "$R$lib"
done

# Kernel modules in load order (dependencies first), as modprobe resolves them.
: >"$W/modules"
for m in $MODULES; do
	deps=$(modprobe -S "$KVER" --show-depends "$m") || die "module $m not found for $KVER"
	echo "$deps" | awk '$1 == "insmod" {print $2}' >>"$W/modules"
done
# arch/x86/crypto/* are CPU-accelerated twins (crc32c-intel, crct10dif-pclmul)
# of generic modules that are in the list too; TCG's CPU lacks SSE4.2/PCLMUL.
grep -v '/arch/x86/crypto/' "$W/modules" | awk '!seen[$0]++' >"$R/etc/bosh-test/modules"
while read -r ko; do
	mkdir -p "$R$(dirname "$ko")"
	cp "$ko" "$R$ko"
done <"$R/etc/bosh-test/modules"

install -m 0755 "$HERE/init.sh" "$R/init"
install -m 0644 "$HERE/report.sh" "$R/lib/bosh-test/report.sh"
install -m 0644 "$HERE/settings.jq" "$R/lib/bosh-test/settings.jq"
install -m 0755 "$HERE/udhcpc.script" "$R/lib/bosh-test/udhcpc.script"
install -m 0755 "$HERE/acpi-power-button.sh" "$R/etc/acpi/PWRF/00000080"
echo "$VERSION" >"$R/etc/bosh-test/version"

# The guest's jq must run from this tree (catches a missing library now).
if [ "$(id -u)" = 0 ]; then
	echo '{"a":1}' | chroot "$R" /usr/bin/jq -c .a >/dev/null ||
		die "jq does not run inside the initramfs tree"
fi

find "$R" -exec touch -h -d "@$EPOCH" {} +
(cd "$R" && find . -mindepth 1 -printf '%P\n' | sort |
	cpio --quiet -o -H newc -R 0:0 --reproducible) | gzip -n -6 >"$W/initrd.gz"

# --- boot partition (FAT16 + SYSLINUX) and MBR disk -------------------------------
cp "$KERNEL" "$W/vmlinuz"
stemcell_syslinux_cfg /vmlinuz /initrd.gz "$CMDLINE" >"$W/syslinux.cfg"
touch -d "@$EPOCH" "$W/vmlinuz" "$W/initrd.gz" "$W/syslinux.cfg"

part_sectors=$((DISK_MIB * 2048 - PART_START))
truncate -s $((part_sectors * 512)) "$W/part.img"
mkfs.vfat --invariant -F 16 -n BOSHTEST -i "${DISK_ID#0x}" -h "$PART_START" "$W/part.img" >/dev/null
export MTOOLS_SKIP_CHECK=1 SOURCE_DATE_EPOCH=$EPOCH
mcopy -m -i "$W/part.img" "$W/syslinux.cfg" "$W/vmlinuz" "$W/initrd.gz" ::/
syslinux --install "$W/part.img"

stemcell_mbr_disk "$W/root.raw" "$DISK_MIB" "$DISK_ID" e "$W/part.img"
qemu-img convert -f raw -O qcow2 "$W/root.raw" "$W/root.qcow2"
touch -d "@$EPOCH" "$W/root.raw" "$W/root.qcow2"

# --- stemcell tarballs ----------------------------------------------------------
make_tgz() { stemcell_make_tgz "$EPOCH" "$@"; } # OUT DIR MEMBER...

{
	dpkg-query -W -f='${Package} ${Version}\n' busybox-static jq libjq1 libonig5 libc6 \
		syslinux syslinux-common "linux-image-$KVER" 2>/dev/null || true
} | sort >"$W/packages.txt"
: >"$W/dev_tools_file_list.txt"

package() { # FORMAT -> image-FORMAT and the stemcell tarball of that format
	local format=$1 suffix='' d=$W/stemcell-$1
	[ "$format" = qcow2 ] || suffix=-$format
	mkdir -p "$d/img"
	ln "$W/root.$format" "$d/img/root.img"
	make_tgz "$W/image-$format" "$d/img" root.img
	cp "$W/image-$format" "$d/image"
	cp "$W/packages.txt" "$W/dev_tools_file_list.txt" "$d/"
	stemcell_manifest "$NAME$suffix" "$VERSION" "$OS" "$DISK_MIB" "$format" "$d/image" \
		openstack-qcow2 openstack-raw >"$d/stemcell.MF"
	touch -d "@$EPOCH" "$d"/*
	make_tgz "$W/bosh-stemcell-$VERSION-openstack-kvm-tiny$suffix.tgz" "$d" \
		stemcell.MF packages.txt dev_tools_file_list.txt image
}
# Both formats at once: gzip is most of the build time.
package qcow2 &
qcow2_pid=$!
package raw &
raw_pid=$!
wait "$raw_pid" || die "packaging the raw stemcell failed"
wait "$qcow2_pid" || die "packaging the qcow2 stemcell failed"

(cd "$W" && sha256sum root.raw root.qcow2 vmlinuz initrd.gz image-raw image-qcow2 \
	"bosh-stemcell-$VERSION-openstack-kvm-tiny.tgz" \
	"bosh-stemcell-$VERSION-openstack-kvm-tiny-raw.tgz") >"$W/SHA256SUMS"

# shellcheck disable=SC2086 # OUTPUTS is a word list
stemcell_publish "$W" "$OUTDIR" "$STAMP" $OUTPUTS
echo "build.sh: built $OUTDIR (kernel $KVER, stemcell $VERSION)"
