# Helpers shared by the stemcell builds (build.sh, build-agent-stemcell.sh); sourced, not run.
# They implement the conventions in stemcell/README.md: one build at a time per OUTDIR, a stamp of
# the inputs that makes an up-to-date rebuild a no-op, outputs moved into place with the stamp last.

# Builds do not depend on the caller's locale, time zone or umask.
export LC_ALL=C TZ=UTC
umask 022

# stemcell_outdir DIR: creates DIR if needed and prints its absolute path.
stemcell_outdir() {
	mkdir -p "$1"
	(cd "$1" && pwd)
}

# stemcell_lock OUTDIR: waits for other builds into OUTDIR; the lock is held until the shell exits.
stemcell_lock() {
	exec 9>"$1/.build.lock"
	flock 9
}

# stemcell_up_to_date OUTDIR STAMP OUTPUT...: true when OUTDIR/.stamp holds STAMP, every output
# exists and FORCE is not 1.
stemcell_up_to_date() {
	local outdir=$1 stamp=$2 f
	shift 2
	[ "${FORCE:-0}" != 1 ] || return 1
	[ -f "$outdir/.stamp" ] && [ "$(cat "$outdir/.stamp")" = "$stamp" ] || return 1
	for f in "$@"; do [ -f "$outdir/$f" ] || return 1; done
}

# stemcell_make_tgz EPOCH OUT DIR MEMBER...: a reproducible gzip tar of DIR's members.
stemcell_make_tgz() {
	local epoch=$1 out=$2 dir=$3
	shift 3
	tar --sort=name --mtime="@$epoch" --owner=0 --group=0 --numeric-owner \
		--format=gnu -C "$dir" -cf - "$@" | gzip -n -6 >"$out"
}

# stemcell_publish BUILDDIR OUTDIR STAMP OUTPUT...: moves the outputs into OUTDIR, then the stamp.
stemcell_publish() {
	local w=$1 outdir=$2 stamp=$3 f
	shift 3
	for f in "$@"; do mv -f "$w/$f" "$outdir/$f"; done
	echo "$stamp" >"$outdir/.stamp"
}

# stemcell_syslinux_cfg KERNEL INITRD CMDLINE: a SYSLINUX/EXTLINUX configuration that boots at once
# with its own output on the serial port.
stemcell_syslinux_cfg() {
	printf '%s\n' 'SERIAL 0 115200' 'DEFAULT bosh' 'PROMPT 0' 'TIMEOUT 0' 'NOESCAPE 1' 'LABEL bosh' \
		"  LINUX $1" "  INITRD $2" "  APPEND $3"
}

# stemcell_mbr_disk RAW DISK_MIB DISK_ID PART_TYPE PART_IMG: RAW becomes a DISK_MIB MiB disk with
# an msdos label (disk ID DISK_ID), SYSLINUX's MBR boot code and one bootable partition of type
# PART_TYPE from 1 MiB to the end, holding PART_IMG (which must be that size).
stemcell_mbr_disk() {
	local raw=$1 mib=$2 id=$3 type=$4 part=$5
	truncate -s "${mib}M" "$raw"
	sfdisk -q --no-reread --no-tell-kernel "$raw" >/dev/null <<-EOF
		label: dos
		label-id: $id
		unit: sectors

		start=2048, size=$((mib * 2048 - 2048)), type=$type, bootable
	EOF
	dd if=/usr/lib/syslinux/mbr/mbr.bin of="$raw" bs=440 count=1 conv=notrunc status=none
	dd if="$part" of="$raw" bs=1M seek=1 conv=notrunc,sparse status=none
}

# stemcell_manifest NAME VERSION OS DISK_MIB DISK_FORMAT IMAGE FORMAT...: prints the stemcell.MF of
# an OpenStack-style KVM stemcell whose image tarball is IMAGE, offered in the stemcell FORMATs
# (openstack-qcow2, openstack-raw); its cloud_properties are what create_stemcell reads
# (docs/CONTRACT.md, create_stemcell).
stemcell_manifest() {
	local name=$1 version=$2 os=$3 disk_mib=$4 disk_format=$5 image=$6 f
	shift 6
	printf -- "---\nname: %s\nversion: '%s'\nbosh_protocol: 1\napi_version: 3\n" "$name" "$version"
	printf 'sha1: %s\noperating_system: %s\nstemcell_formats:\n' \
		"$(sha1sum "$image" | cut -d' ' -f1)" "$os"
	for f in "$@"; do printf -- '- %s\n' "$f"; done
	cat <<EOF
cloud_properties:
  name: $name
  version: '$version'
  infrastructure: openstack
  hypervisor: kvm
  disk: $disk_mib
  disk_format: $disk_format
  container_format: bare
  os_type: linux
  os_distro: debian
  architecture: x86_64
  auto_disk_config: true
EOF
}
