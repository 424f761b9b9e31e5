#!/usr/bin/env bash
# The libvirt_cpi job's templates, rendered by the BOSH CLI itself, for the two ways BOSH runs
# the CPI, and the rendered cpi.json checked by the CPI's own parser (--check-config):
#
#   create-env  the properties manifests/libvirt/cpi.yml gives cloud_provider.properties in
#               bosh-deployment's bosh.yml (https agent mbus, local blobstore);
#   director    the properties of bosh.yml's Director instance group with cpi.yml (NATS mbus,
#               the dav blobstore with its agent credentials and CA, nats.*);
#   nats        Director-style without agent.mbus (built from nats.* with a password that needs
#               URL escaping) and with env.*_proxy values that need shell quoting.
#
# How the templates are rendered, and why this way: the CLI has no command that renders a job.
# It renders the CPI job's templates only while `bosh create-env` installs the CPI: it compiles
# the release's packages on this machine, builds each template's context from the job spec's
# defaults and the manifest's properties, and runs `ruby` on a renderer script embedded in the
# CLI. A copy of that script, or a renderer of our own, would test our idea of BOSH rather than
# BOSH. So this test runs the real `bosh create-env` with the real release tarball
# (scripts/release.sh) and a minimal stemcell, and only *observes* the rendering: a `ruby` first
# on the CLI's PATH runs the real ruby with the CLI's own arguments, then copies each rendered
# file aside. create-env then goes on for real: it runs the rendered bin/cpi with its restricted
# environment (BOSH_PACKAGES_DIR, BOSH_JOBS_DIR, PATH), so the bundle's loader, modules and
# libvirt client run from the compiled package, `info` passes (the CPI parses the rendered
# config) and create_stemcell fails on purpose with the CPI's own error naming the storage pool
# of the rendered config: the libvirt URI is libvirt's in-process test driver (test:///default),
# so no libvirtd is touched and nothing is created.
#
# Needs ruby, the BOSH CLI, ../shared/bosh-deployment and the release tarball
# (tests/bosh/release_lib.sh); no libvirtd.
set -euo pipefail
test_name=release-templates
source "$(dirname "$0")/release_lib.sh"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
bosh=$(bosh_cli)
real_ruby=$(command -v ruby) || fail "ruby is needed: the BOSH CLI renders templates with it"
release=$(cpi_release)
cpi=$build_dir/bosh-libvirt-cpi
[ -x "$cpi" ] || fail "$cpi not built"
say "release $release"

# A minimal stemcell (the CLI needs stemcell.MF with api_version >= 2 and an image).
mkdir -p "$work/stemcell/img"
truncate -s 1M "$work/stemcell/img/root.img"
tar -czf "$work/stemcell/image" -C "$work/stemcell/img" root.img
cat >"$work/stemcell/stemcell.MF" <<'EOF'
name: template-test-stemcell
version: "0.1"
operating_system: debian-bookworm
api_version: 3
stemcell_formats: [openstack-raw]
cloud_properties: {disk: 1, disk_format: raw}
EOF
tar -czf "$work/stemcell.tgz" -C "$work/stemcell" stemcell.MF image

# The observing `ruby`: the CLI calls `ruby RENDERER CONTEXT TEMPLATE OUTPUT`.
mkdir -p "$work/shim"
cat >"$work/shim/ruby" <<EOF
#!/bin/sh
"$real_ruby" "\$@" || exit \$?
if [ \$# -eq 4 ]; then cp "\$4" "\$CAPTURE_DIR/\$(basename "\$3" .erb)"; fi
EOF
chmod +x "$work/shim/ruby"

# The Director manifest with our ops file, its CPI URIs pointing at libvirt's test driver and a
# storage pool that does not exist there.
pool=no-such-pool-$$
interpolate_director "$work/creds.yml" -v libvirt_uri=test:///default \
  -v director_libvirt_uri=test:///default -v libvirt_storage_pool="$pool" >"$work/bosh.yml" ||
  fail "interpolating bosh.yml with manifests/libvirt/cpi.yml"
props() { "$bosh" interpolate "$work/bosh.yml" --path "$1"; }
secret() { "$bosh" interpolate "$work/creds.yml" --path "$1"; }

# render CASE PROPERTIES_YAML: runs create-env with those CPI job properties; leaves the
# rendered files in $work/CASE/ (bin/cpi as `cpi`, config/cpi.json as `cpi.json`).
render() {
  local case=$1 props_file=$2 out=$work/$1
  mkdir -p "$out/home"
  {
    echo "props:"
    sed 's/^/  /' "$props_file"
  } >"$out/vars.yml"
  cat >"$out/manifest.yml" <<EOF
name: template-test
releases:
- name: bosh-libvirt-cpi
  url: file://$release
resource_pools:
- name: vms
  network: default
  stemcell: {url: file://$work/stemcell.tgz}
  cloud_properties: {cpu: 1, memory: 256}
networks:
- name: default
  type: manual
  subnets:
  - {range: 10.0.0.0/24, gateway: 10.0.0.1, static: [10.0.0.6], dns: [10.0.0.1]}
instance_groups:
- name: test
  instances: 1
  jobs: []
  resource_pool: vms
  networks: [{name: default, static_ips: [10.0.0.6]}]
cloud_provider:
  template: {name: libvirt_cpi, release: bosh-libvirt-cpi}
  mbus: https://mbus:unused@10.0.0.6:6868
  properties: ((props))
EOF
  say "$case: bosh create-env (renders the job, compiles the package, runs bin/cpi)"
  if HOME=$out/home CAPTURE_DIR=$out PATH=$work/shim:$PATH \
    "$bosh" create-env "$out/manifest.yml" -l "$out/vars.yml" --state "$out/state.json" \
    >"$out/create-env.log" 2>&1; then
    cat "$out/create-env.log" >&2
    fail "$case: create-env succeeded against a storage pool that does not exist"
  fi
  # The CPI answered info and failed create_stemcell with its own error, naming the pool and URI
  # of the rendered configuration: the whole chain ran.
  # (with several hosts the message names the host too: "… on host 'kvm-a' at 'test:///default'").
  if ! grep -qE "storage pool '$pool' does not exist on (host '[a-z0-9-]+' at )?'test:///default'" \
    "$out/create-env.log"; then
    cat "$out/create-env.log" >&2
    fail "$case: create-env did not fail at create_stemcell with the CPI's pool error"
  fi
  [ -f "$out/cpi" ] && [ -f "$out/cpi.json" ] || fail "$case: the CLI rendered no bin/cpi or cpi.json"
  "$cpi" --check-config "$out/cpi.json" >&2 || fail "$case: --check-config rejects the rendered cpi.json"
}

# jq_is CASE FILTER EXPECTED_JSON: the rendered cpi.json's FILTER equals EXPECTED_JSON.
jq_is() {
  local got
  got=$(jq -S -c "$2" "$work/$1/cpi.json")
  [ "$got" = "$(jq -S -c -n "$3")" ] || fail "$1: cpi.json $2 is $got, expected $3"
}

# --- create-env ---------------------------------------------------------------------------------
props /cloud_provider/properties >"$work/create-env.props.yml"
render create-env "$work/create-env.props.yml"
jq_is create-env .libvirt "{uri: \"test:///default\", storage_pool: \"$pool\", network: \"bosh-net\",
  domain_type: \"auto\", console_log_dir: \"/var/log/libvirt/qemu\", machine_type: \"\"}"
jq_is create-env .agent "{mbus: \"https://mbus:$(secret /mbus_bootstrap_password)@0.0.0.0:6868\",
  ntp: [], blobstore: {provider: \"local\",
  options: {blobstore_path: \"/var/vcap/micro_bosh/data/cache\"}}}"
jq_is create-env 'keys' '["agent", "libvirt"]'

# --- director -----------------------------------------------------------------------------------
props /instance_groups/name=bosh/properties >"$work/director.props.yml"
render director "$work/director.props.yml"
jq_is director .libvirt.storage_pool "\"$pool\""
jq_is director .agent.mbus '"nats://10.0.0.6:4222"'
jq_is director '.agent.blobstore | del(.options.tls)' "{provider: \"dav\", options: {
  endpoint: \"https://10.0.0.6:25250\", user: \"agent\", password: \"$(secret /blobstore_agent_password)\"}}"
ca=$(secret /blobstore_server_tls/ca)
jq_is director '.agent.blobstore.options.tls.cert.ca | rtrimstr("\n")' "$(jq -n --arg c "$ca" '$c')"

# --- nats: mbus from nats.*, proxies ------------------------------------------------------------
password="p@ss:w/rd 'x' \$HOME"
proxy="http://user:pa'ss@proxy:3128/\$(touch $work/pwned)"
cat >"$work/nats.ops.yml" <<'EOF'
- type: remove
  path: /agent/mbus
- type: replace
  path: /nats/password
  value: ((nats_password))
- type: replace
  path: /env?/http_proxy
  value: ((proxy))
- type: replace
  path: /env/https_proxy?
  value: ((proxy))
- type: replace
  path: /env/no_proxy?
  value: localhost,10.0.0.0/8
- type: replace
  path: /lock_dir?
  value: /var/vcap/sys/run/libvirt_cpi
EOF
"$bosh" interpolate "$work/director.props.yml" -o "$work/nats.ops.yml" -v nats_password="$password" \
  -v proxy="$proxy" >"$work/nats.props.yml"
render nats "$work/nats.props.yml"
jq_is nats .agent.mbus '"nats://nats:p%40ss%3Aw%2Frd%20%27x%27%20%24HOME@10.0.0.6:4222"'
jq_is nats .lock_dir '"/var/vcap/sys/run/libvirt_cpi"'

# Several hosts (docs/MULTIHOST.md): `hosts` goes into cpi.json entry by entry, and the CPI
# accepts what the job rendered.
cat >"$work/hosts.ops.yml" <<'EOF'
- type: replace
  path: /hosts?
  value:
  - {name: kvm-a, uri: "test:///default", az: z1}
  - {name: kvm-b, uri: "test:///default", az: z2, key: km, shared: true}
- type: replace
  path: /libvirt/timeout_seconds?
  value: 12
EOF
"$bosh" interpolate "$work/director.props.yml" -o "$work/hosts.ops.yml" >"$work/hosts.props.yml"
render hosts "$work/hosts.props.yml"
jq_is hosts '[.hosts[] | [.name, .uri, .az]]' \
  '[["kvm-a", "test:///default", "z1"], ["kvm-b", "test:///default", "z2"]]'
jq_is hosts '[.hosts[1].key, .hosts[1].shared, .libvirt.timeout_seconds]' '["km", true, 12]'
"$cpi" --check-config "$work/hosts/cpi.json" >"$work/hosts.check" 2>&1 ||
  fail "the CPI refuses the rendered hosts config: $(cat "$work/hosts.check")"

# bin/cpi exports the proxies verbatim and execs the bundle's loader with the bundle's library
# folder, the executable and the job's config: run it against a stand-in package whose "loader"
# reports its arguments and environment.
fake=$work/fake-packages/bosh-libvirt-cpi/lib
mkdir -p "$fake"
cat >"$fake/ld-linux-x86-64.so.2" <<EOF
#!/bin/sh
printf '%s\n' "\$@" >"$work/exec.args"
env >"$work/exec.env"
EOF
chmod +x "$fake/ld-linux-x86-64.so.2"
env -i PATH=/usr/bin:/bin BOSH_PACKAGES_DIR="$work/fake-packages" BOSH_JOBS_DIR=/jobs \
  sh "$work/nats/cpi" </dev/null || fail "bin/cpi failed"
[ ! -e "$work/pwned" ] || fail "bin/cpi ran a command substitution from a proxy value"
pkg=$work/fake-packages/bosh-libvirt-cpi
printf '%s\n' --library-path "$pkg/lib" "$pkg/bin/bosh-libvirt-cpi" --config \
  /jobs/libvirt_cpi/config/cpi.json >"$work/exec.expected"
diff -u "$work/exec.expected" "$work/exec.args" >&2 || fail "bin/cpi exec'd the wrong command"
for name in http_proxy HTTP_PROXY https_proxy HTTPS_PROXY; do
  grep -qxF "$name=$proxy" "$work/exec.env" || fail "bin/cpi did not export $name verbatim"
done
grep -qxF "no_proxy=localhost,10.0.0.0/8" "$work/exec.env" || fail "bin/cpi did not export no_proxy"
grep -qxF "BOSH_LIBVIRT_CPI_MODULE_DIR=$pkg/lib/bosh-libvirt-cpi" "$work/exec.env" ||
  fail "bin/cpi did not name the modules' folder"
# Without BOSH_PACKAGES_DIR/BOSH_JOBS_DIR (a Director VM) it runs /var/vcap's.
out=$(env -i PATH=/usr/bin:/bin sh "$work/create-env/cpi" </dev/null 2>&1) && fail "bin/cpi ran without a package"
grep -q "/var/vcap/packages/bosh-libvirt-cpi/lib/ld-linux-x86-64.so.2" <<<"$out" ||
  fail "bin/cpi does not fall back to /var/vcap/packages: $out"
# No proxy set: nothing exported.
! grep -qi '^export [a-z_]*proxy=' "$work/create-env/cpi" || fail "bin/cpi exports proxies nobody set"

# A property value the CPI rejects is caught by --check-config (the check can fail).
jq '.libvirt.domain_type = "xen"' "$work/create-env/cpi.json" >"$work/bad.json"
if "$cpi" --check-config "$work/bad.json" 2>/dev/null; then fail "--check-config accepted domain_type xen"; fi
say "ok: create-env, director and nats renderings"
