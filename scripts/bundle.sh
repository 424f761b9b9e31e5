#!/usr/bin/env bash
# Makes the portable CPI bundle, the blob of the release's `bosh-libvirt-cpi` package:
#
#   bash scripts/bundle.sh BUILD_DIR OUTDIR   ->  OUTDIR/bosh-libvirt-cpi-linux-amd64.tgz
#
# BUILD_DIR holds a built bosh-libvirt-cpi (scripts/setup.sh, scripts/release.sh). The bundle
# holds the executable, its three dlopened modules, templates/ and every shared library they load,
# found by walking their dependencies recursively with the system's loader, down to glibc, the
# NSS modules it dlopens for host and user lookups (libvirt resolves both) and the dynamic loader
# itself:
#
#   bin/bosh-libvirt-cpi
#   lib/bosh-libvirt-cpi/libbosh-libvirt-cpi-{hypervisor,iso,archive}.so
#   lib/ld-linux-x86-64.so.2, lib/libc.so.6, lib/libvirt.so.0, ...
#   templates/            the built-in domain/volume templates (for `templates_dir` copies)
#   BUNDLE                version, and each library with the Debian package it came from
#
# Run as `lib/ld-linux-x86-64.so.2 --library-path lib bin/bosh-libvirt-cpi ...` (the job's
# bin/cpi does), it loads nothing from the host. The script checks that: every object's
# dependencies must resolve inside the bundle under the bundled loader. The tarball is
# reproducible (sorted, fixed owners and times, gzip without a timestamp), so rebuilding an
# unchanged CPI yields the same blob.
set -euo pipefail

if [ $# -ne 2 ]; then
  echo "usage: $0 BUILD_DIR OUTDIR" >&2
  exit 2
fi
build=$(cd "$1" && pwd)
mkdir -p "$2"
out=$(cd "$2" && pwd)
repo=$(cd "$(dirname "$0")/.." && pwd)
say() { printf '[bundle] %s\n' "$*" >&2; }

exe=$build/bosh-libvirt-cpi
modules=("$build"/libbosh-libvirt-cpi-{hypervisor,iso,archive}.so)
for f in "$exe" "${modules[@]}"; do
  [ -f "$f" ] || { say "missing $f: build the CPI first (cmake --build $build)"; exit 1; }
done
version=$("$exe" --version | awk '{print $2}')
multiarch=$(gcc -print-multiarch 2>/dev/null || echo x86_64-linux-gnu)
loader=/lib64/ld-linux-x86-64.so.2

stage=$(mktemp -d "$out/.bundle.XXXXXX")
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/bin" "$stage/lib/bosh-libvirt-cpi" "$stage/templates"

# Our own objects, without debug information (RelWithDebInfo builds carry it); the dynamic
# symbol tables the modules link against stay.
install -m 0755 "$exe" "$stage/bin/"
install -m 0644 "${modules[@]}" "$stage/lib/bosh-libvirt-cpi/"
strip --strip-debug "$stage/bin/bosh-libvirt-cpi" "$stage"/lib/bosh-libvirt-cpi/*.so
cp "$repo"/templates/* "$stage/templates/"

# Every library the objects load, recursively (ldd already follows the whole tree), plus what
# glibc dlopens by name at run time: the NSS modules for /etc/nsswitch.conf's `files` and `dns`
# (with libresolv), and the compatibility libraries some objects still name.
declare -A libs=()
add_deps() {
  local line path
  while read -r line; do
    case $line in
      *'=> not found'*) say "unresolved dependency of $1: $line"; exit 1 ;;
      *'=> /'*) path=${line#*=> }; path=${path%% (*}; libs[$path]=1 ;;
    esac
  done < <(ldd "$1")
}
for f in "$exe" "${modules[@]}"; do add_deps "$f"; done
for name in libnss_files.so.2 libnss_dns.so.2 libresolv.so.2 libm.so.6 libpthread.so.0 libdl.so.2 \
  librt.so.1 libc.so.6; do
  path=/lib/$multiarch/$name
  [ -e "$path" ] || path=/usr/lib/$multiarch/$name
  [ -e "$path" ] || { say "glibc library $name not found"; exit 1; }
  libs[$path]=1
  add_deps "$path"
done
for path in "${!libs[@]}"; do
  # Copy the file under the name the loader looks for (the soname, a symlink on the host).
  cp -L "$path" "$stage/lib/$(basename "$path")"
done
cp -L "$loader" "$stage/lib/ld-linux-x86-64.so.2"
chmod 0755 "$stage/lib/ld-linux-x86-64.so.2"

# Proof of self-containment: under the bundled loader and library path, every dependency of
# every object resolves to a file of the bundle.
check() {
  local f=$1 listing
  listing=$("$stage/lib/ld-linux-x86-64.so.2" --library-path "$stage/lib" --list "$f") || {
    say "the bundled loader cannot load $f"
    exit 1
  }
  if grep -E '=> ' <<<"$listing" | grep -v -E "=> $stage/lib/[^/]+ \(" | grep -q .; then
    say "$f resolves libraries outside the bundle:"
    grep -E '=> ' <<<"$listing" | grep -v -E "=> $stage/lib/[^/]+ \(" >&2
    exit 1
  fi
}
check "$stage/bin/bosh-libvirt-cpi"
for f in "$stage"/lib/bosh-libvirt-cpi/*.so; do check "$f"; done

{
  echo "bosh-libvirt-cpi $version"
  echo "built on $(. /etc/os-release && echo "$PRETTY_NAME"), glibc $(ldd --version | head -n1 | awk '{print $NF}')"
  echo
  echo "library  debian-package"
  # One dpkg query for all, by the files' real names (the loader finds some under /usr/lib that
  # dpkg registered under /lib).
  declare -A pkg_of=()
  while read -r pkg file; do
    pkg_of[$(basename "$file")]=$pkg
  done < <(for path in "$loader" "${!libs[@]}"; do
    echo "*/$multiarch/$(basename "$(readlink -f "$path")")"
  done | xargs dpkg -S 2>/dev/null | sed -E 's/^([^:,]+)[^ ]*: (.*)$/\1 \2/' || true)
  for path in "$loader" "${!libs[@]}"; do
    pkg=${pkg_of[$(basename "$(readlink -f "$path")")]:-?}
    echo "$(basename "$path")  $pkg $(dpkg-query -W -f='${Version}' "$pkg" 2>/dev/null || true)"
  done | sort
} >"$stage/BUNDLE"

tarball=$out/bosh-libvirt-cpi-linux-amd64.tgz
tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C "$stage" -cf - . |
  gzip -n -6 >"$tarball.tmp"
mv "$tarball.tmp" "$tarball"
say "$tarball: $(du -k "$tarball" | cut -f1) KiB compressed, $(du -sk "$stage" | cut -f1) KiB unpacked, ${#libs[@]} libraries"
