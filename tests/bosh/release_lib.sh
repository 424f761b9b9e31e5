# Helpers shared by the release's tests (sourced): ops_file_test.sh, release_templates_test.sh,
# portability_test.sh. Environment:
#   CPI_BINARY_DIR        the build folder (default <repo>/build)
#   CPI_SHARED_DIR        the shared material (default: scripts/shared-dir.sh finds it):
#                         bosh-deployment/bosh.yml and tools/bosh.xz
#   BOSH_CLI              the BOSH CLI (default: scripts/bosh-cli.sh)
#   CPI_TEST_CPI_RELEASE  the CPI release tarball (default: scripts/release.sh into
#                         $CPI_BINARY_DIR/release, as scripts/test.sh does)

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
build_dir=${CPI_BINARY_DIR:-$repo/build}
shared_dir=$(bash "$repo/scripts/shared-dir.sh") || shared_dir=${CPI_SHARED_DIR:-$repo/../shared}

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

# render_job JOB_DIR PROPS_JSON OUT_DIR: renders the job unpacked in JOB_DIR (job.MF, templates/)
# into OUT_DIR with the spec's defaults overlaid by PROPS_JSON (nested keys), by a few lines of
# Ruby ERB with p/if_p as job templates use them; bin/* executable. What BOSH's own rendering
# produces is release_templates_test.sh's subject; this is for tests that install the job by hand.
render_job() {
  ruby -rjson -ryaml -rerb -rfileutils - "$1" "$2" "$3" <<'RUBY'
job_dir, props_file, out_dir = ARGV
spec = YAML.load_file(File.join(job_dir, File.exist?(File.join(job_dir, 'job.MF')) ? 'job.MF' : 'spec'))
given = JSON.parse(File.read(props_file))
dig = ->(hash, name) { name.split('.').reduce(hash) { |h, k| h.is_a?(Hash) ? h[k] : nil } }
props = {}
spec['properties'].each do |name, definition|
  value = dig.(given, name)
  props[name] = value.nil? ? definition['default'] : value
end
context = Object.new
context.define_singleton_method(:p) do |names, *default|
  Array(names).each { |n| return props[n] unless props[n].nil? }
  return default.first unless default.empty?
  raise "no property #{names}"
end
context.define_singleton_method(:if_p) do |name, &block|
  else_block = Object.new
  if props[name].nil?
    else_block.define_singleton_method(:else) { |&b| b.call }
  else
    block.call(props[name])
    else_block.define_singleton_method(:else) { |&_| nil }
  end
  else_block
end
spec['templates'].each do |source, target|
  text = ERB.new(File.read(File.join(job_dir, 'templates', source)), trim_mode: '-')
                .result(context.instance_eval { binding })
  FileUtils.mkdir_p(File.dirname(File.join(out_dir, target)))
  File.write(File.join(out_dir, target), text)
  File.chmod(0o755, File.join(out_dir, target)) if target.start_with?('bin/')
end
RUBY
}

# result RESPONSE: the response's result (compact JSON); fails (status 1) on an error response.
result() { jq -c -e '.error == null' >/dev/null <<<"$1" && jq -c '.result' <<<"$1"; }

# disk_roundtrip LABEL [ARGS...]: through the caller's `call JSON [ARGS...]` (its packaged bin/cpi;
# ARGS go to the create_disk call) in the caller's storage pool $pool, read with "${virsh[@]}":
# create_disk makes a volume, has_disk is true, delete_disk removes it, has_disk is false.
disk_roundtrip() {
  local label=$1 r disk
  shift
  r=$(call '{"method":"create_disk","arguments":[64,{},null],"context":{"director_uuid":"test"}}' "$@")
  disk=$(result "$r" | jq -r .) || fail "$label: create_disk: $r"
  "${virsh[@]}" vol-info --pool "$pool" "$disk" >/dev/null 2>&1 || fail "$label: no volume $disk in $pool"
  [ "$(result "$(call "{\"method\":\"has_disk\",\"arguments\":[\"$disk\"],\"context\":{}}")")" = true ] ||
    fail "$label: has_disk $disk is not true"
  r=$(call "{\"method\":\"delete_disk\",\"arguments\":[\"$disk\"],\"context\":{}}")
  result "$r" >/dev/null || fail "$label: delete_disk: $r"
  [ "$(result "$(call "{\"method\":\"has_disk\",\"arguments\":[\"$disk\"],\"context\":{}}")")" = false ] ||
    fail "$label: has_disk $disk after delete_disk is not false"
  ! "${virsh[@]}" vol-info --pool "$pool" "$disk" >/dev/null 2>&1 || fail "$label: delete_disk left $disk in $pool"
  say "$label: create_disk / has_disk / delete_disk of $disk in pool $pool: ok"
}
