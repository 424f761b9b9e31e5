#!/usr/bin/env bash
# Builds the BOSH release of the CPI:
#
#   bash scripts/release.sh OUTDIR   ->  OUTDIR/bosh-libvirt-cpi-<version>.tgz (and nothing else)
#
# 1. builds the CPI in BUILD_DIR (default <repo>/build; configured like scripts/setup.sh when it
#    is not configured yet), only the executable and its modules;
# 2. makes the portable bundle (scripts/bundle.sh) in BUILD_DIR/bosh-release/;
# 3. copies release/ to BUILD_DIR/bosh-release/dir, registers the bundle there as the package's
#    blob with `bosh add-blob` and uploads it to a local blobstore in BUILD_DIR/bosh-release/blobstore
#    (config/private.yml of the copy), so that nothing the CLI writes lands in the repository;
# 4. `bosh create-release --tarball` of that copy: a dev release named by the project's version
#    (CMakeLists.txt), replacing any earlier tarball of this release in OUTDIR.
#
# Idempotent: every run starts from a fresh copy; an unchanged build gives the same bundle blob.
# The BOSH CLI is $BOSH_CLI, else `bosh` on PATH, else ../shared/tools/bosh.xz (beside the
# repository) decompressed into BUILD_DIR/tools/ (scripts/bosh-cli.sh).
set -euo pipefail

if [ $# -ne 1 ]; then
  echo "usage: $0 OUTDIR" >&2
  exit 2
fi
repo=$(cd "$(dirname "$0")/.." && pwd)
build_dir=${BUILD_DIR:-$repo/build}
mkdir -p "$1" "$build_dir"
out=$(cd "$1" && pwd)
build_dir=$(cd "$build_dir" && pwd)
work=$build_dir/bosh-release
say() { printf '[release] %s\n' "$*" >&2; }

# --- the BOSH CLI ------------------------------------------------------------------------------
bosh=$(BUILD_DIR=$build_dir bash "$repo/scripts/bosh-cli.sh")
say "BOSH CLI: $bosh ($("$bosh" --version | head -n1))"

# --- 1. the CPI --------------------------------------------------------------------------------
if [ ! -f "$build_dir/CMakeCache.txt" ]; then
  cmake -S "$repo" -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE="${BUILD_TYPE:-RelWithDebInfo}" \
    ${CMAKE_ARGS:-} >/dev/null
fi
if grep -q '^CPI_SANITIZE:BOOL=ON' "$build_dir/CMakeCache.txt"; then
  say "$build_dir is a sanitizer build (CPI_SANITIZE=ON); use another BUILD_DIR for the release"
  exit 1
fi
cmake --build "$build_dir" --target bosh-libvirt-cpi bosh-libvirt-cpi-hypervisor \
  bosh-libvirt-cpi-iso bosh-libvirt-cpi-archive -- -j"$(nproc)" >&2
version=$("$build_dir/bosh-libvirt-cpi" --version | awk '{print $2}')

# --- 2. the bundle -----------------------------------------------------------------------------
mkdir -p "$work"
bash "$repo/scripts/bundle.sh" "$build_dir" "$work"
blob=$work/bosh-libvirt-cpi-linux-amd64.tgz

# --- 3. the release folder, with the bundle as its blob ----------------------------------------
dir=$work/dir
rm -rf "$dir"
cp -a "$repo/release" "$dir"
# What the CLI may have written into release/ when someone ran it there by hand.
rm -rf "$dir/blobs" "$dir/.blobs" "$dir/.dev_builds" "$dir/dev_releases" "$dir/config/private.yml"
cat >"$dir/config/private.yml" <<EOF
---
blobstore:
  options:
    blobstore_path: $work/blobstore
EOF
rm -rf "$work/blobstore"
mkdir -p "$work/blobstore" "$dir/src"
"$bosh" add-blob --dir "$dir" "$blob" bosh-libvirt-cpi/bosh-libvirt-cpi-linux-amd64.tgz >&2
"$bosh" upload-blobs --dir "$dir" >&2

# --- 4. the tarball ----------------------------------------------------------------------------
# Written aside and renamed: a reader of OUTDIR (a test already running) never sees it missing or
# half written. Tarballs of other versions go: OUTDIR holds exactly one.
tarball=$out/bosh-libvirt-cpi-$version.tgz
"$bosh" create-release --dir "$dir" --name bosh-libvirt-cpi --version "$version" \
  --tarball "$work/release.tgz" --force >&2
chmod 0644 "$work/release.tgz"
mv -f "$work/release.tgz" "$tarball.tmp"
mv -f "$tarball.tmp" "$tarball"
for f in "$out"/bosh-libvirt-cpi-*.tgz; do
  [ "$f" = "$tarball" ] || rm -f "$f"
done
say "$tarball ($(du -k "$tarball" | cut -f1) KiB)"
