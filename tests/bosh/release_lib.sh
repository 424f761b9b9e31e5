# Helpers shared by the release's tests (sourced): ops_file_test.sh, release_templates_test.sh,
# portability_test.sh. Environment:
#   CPI_BINARY_DIR        the build folder (default <repo>/build)
#   CPI_SHARED_DIR        the shared material beside the repository (default <repo>/../shared):
#                         bosh-deployment/bosh.yml and tools/bosh.xz
#   BOSH_CLI              the BOSH CLI (default: scripts/bosh-cli.sh)
#   CPI_TEST_CPI_RELEASE  the CPI release tarball (default: scripts/release.sh into
#                         $CPI_BINARY_DIR/release, as scripts/test.sh does)

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
build_dir=${CPI_BINARY_DIR:-$repo/build}
shared_dir=${CPI_SHARED_DIR:-$repo/../shared}

say() { printf '[%s %s] %s\n' "$test_name" "$(date -u +%T)" "$*" >&2; }
fail() {
  say "FAIL: $*"
  exit 1
}

# bosh-deployment's upstream bosh.yml, which the ops file must apply to.
bosh_deployment() {
  local d=$shared_dir/bosh-deployment
  [ -f "$d/bosh.yml" ] ||
    fail "$d/bosh.yml not found: these tests need bosh-deployment beside the repository (set CPI_SHARED_DIR to the folder holding bosh-deployment/ and tools/)"
  (cd "$d" && pwd)
}

bosh_cli() {
  CPI_SHARED_DIR=$shared_dir BUILD_DIR=$build_dir bash "$repo/scripts/bosh-cli.sh" ||
    fail "no BOSH CLI"
}

# The release tarball: the one given, else built (idempotently) by scripts/release.sh.
cpi_release() {
  if [ -n "${CPI_TEST_CPI_RELEASE:-}" ]; then
    [ -f "$CPI_TEST_CPI_RELEASE" ] || fail "CPI_TEST_CPI_RELEASE=$CPI_TEST_CPI_RELEASE not found"
    echo "$CPI_TEST_CPI_RELEASE"
    return
  fi
  BUILD_DIR=$build_dir BOSH_CLI=$(bosh_cli) bash "$repo/scripts/release.sh" "$build_dir/release" >&2 ||
    fail "scripts/release.sh failed"
  ls "$build_dir"/release/bosh-libvirt-cpi-*.tgz
}

# The documented variables of manifests/libvirt/cpi.yml (README.md, "Use with BOSH"), for a
# Director at 10.0.0.6; callers add or override with more -v arguments.
director_vars=(
  -v director_name=libvirt-director
  -v internal_ip=10.0.0.6 -v internal_gw=10.0.0.1 -v internal_cidr=10.0.0.0/24
  -v libvirt_cpi_release=/releases/bosh-libvirt-cpi-0.1.0.tgz
  -v libvirt_stemcell=/stemcells/bosh-stemcell-0.1-openstack-kvm-debian-bookworm-go_agent.tgz
  -v libvirt_uri=qemu:///system
  -v director_libvirt_uri=qemu+tls://192.168.122.1/system
  -v libvirt_storage_pool=bosh-pool
  -v libvirt_network=bosh-net
)

# interpolate_director VARS_STORE [bosh int arguments...]: bosh.yml with our ops file and every
# variable set (the vars store generates the passwords and certificates, as create-env does);
# fails on any missing or unused variable.
interpolate_director() {
  local store=$1
  shift
  "$(bosh_cli)" interpolate "$(bosh_deployment)/bosh.yml" -o "$repo/manifests/libvirt/cpi.yml" \
    --vars-store "$store" "${director_vars[@]}" --var-errs --var-errs-unused "$@"
}
