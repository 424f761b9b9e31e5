#!/usr/bin/env bash
# The libvirt_cpi job reaching libvirtd over a remote URI with the credentials its properties
# deliver (README.md, "Reaching libvirtd from a Director"), CTest labels `bosh` and `remote`:
#
#   1. a private sshd on a free loopback port (Debian's openssh-server, started here with a host
#      key and an authorized client key made here; never the system's sshd);
#   2. the release's package installed and its job rendered (render_job, tests/bosh/release_lib.sh)
#      with libvirt.uri qemu+ssh://root@127.0.0.1:PORT/system, libvirt.ssh.private_key and
#      libvirt.ssh.known_hosts, into folders like create-env's;
#   3. the PACKAGED bin/cpi, with create-env's environment (BOSH_PACKAGES_DIR, BOSH_JOBS_DIR, PATH
#      only): info, create_disk / has_disk / delete_disk / has_disk in a storage pool of this
#      test's own (unique name, removed afterwards), the private key made owner-only by bin/cpi;
#   4. qemu+libssh:// (libvirt's in-process ssh client: known_hosts= instead of the job's ssh
#      wrapper) rendered, and its host key check in 5;
#   5. a known_hosts holding another host key: a CloudError that names the host and the URI, is
#      not retryable, and no key material in the response or on stderr;
#   6. libvirt.ssh.verify_host false without known_hosts: no_verify=1, the call succeeds;
#   7. TLS rendered only (a live TLS libvirtd would mean a second daemon or changing the shared
#      one): config/tls/{cacert,clientcert,clientkey}.pem and pkipath= anchored at the job's
#      config folder by the CPI (--check-config).
#
# Needs root (the sshd logs in as root, whose libvirt is the system one), openssh-server and
# openssh-client, a running libvirtd, ruby, the release tarball (tests/bosh/release_lib.sh).
set -euo pipefail
test_name=remote-ssh
source "$(dirname "$0")/release_lib.sh"

sshd=/usr/sbin/sshd
[ -x "$sshd" ] || fail "$sshd not found: scripts/setup.sh installs openssh-server"
command -v ssh >/dev/null || fail "ssh not found (openssh-client)"
command -v virt-ssh-helper >/dev/null || fail "virt-ssh-helper not found: libvirt's ssh transport runs it on the host"
virsh=(virsh -q -c qemu:///system)
release=$(cpi_release)

id=$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')
pool=cpitest-ssh-$id
pool_dir=/var/lib/libvirt/images/$pool
work=$(mktemp -d)
sshd_pid=
cleanup() {
  local rc=$? vol
  [ -z "$sshd_pid" ] || kill "$sshd_pid" 2>/dev/null || true
  if "${virsh[@]}" pool-info "$pool" >/dev/null 2>&1; then
    for vol in $("${virsh[@]}" vol-list "$pool" 2>/dev/null | awk '{print $1}'); do
      "${virsh[@]}" vol-delete --pool "$pool" "$vol" >/dev/null 2>&1 || true
    done
    "${virsh[@]}" pool-destroy "$pool" >/dev/null 2>&1 || true
  fi
  rm -rf "$pool_dir"
  if [ "$rc" != 0 ] && [ -f "$work/sshd.log" ]; then
    say "sshd log:"
    tail -n 20 "$work/sshd.log" >&2
  fi
  [ "${KEEP_WORK:-0}" = 1 ] && say "kept $work" || rm -rf "$work"
  exit "$rc"
}
trap cleanup EXIT
mkdir -p "$pool_dir"
"${virsh[@]}" pool-create-as "$pool" dir --target "$pool_dir" >/dev/null || fail "creating pool $pool"

# --- 1. the private sshd ------------------------------------------------------------------------
ssh-keygen -q -t ed25519 -N '' -C remote-test-host -f "$work/host_key"
ssh-keygen -q -t ed25519 -N '' -C remote-test-other-host -f "$work/other_host_key"
ssh-keygen -q -t ed25519 -N '' -C remote-test-client -f "$work/client_key"
cp "$work/client_key.pub" "$work/authorized_keys"
mkdir -p /run/sshd # sshd's privilege separation folder (absent where no sshd ever ran)
start_sshd() {
  local port=$1
  cat >"$work/sshd_config" <<EOF
Port $port
ListenAddress 127.0.0.1
HostKey $work/host_key
PidFile $work/sshd.pid
AuthorizedKeysFile $work/authorized_keys
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
EOF
  "$sshd" -D -e -f "$work/sshd_config" >"$work/sshd.log" 2>&1 &
  sshd_pid=$!
  local i
  for ((i = 0; i < 50; i++)); do
    grep -q "Server listening on 127.0.0.1 port $port" "$work/sshd.log" && return 0
    kill -0 "$sshd_pid" 2>/dev/null || break
    sleep 0.1
  done
  kill "$sshd_pid" 2>/dev/null || true
  wait "$sshd_pid" 2>/dev/null || true
  sshd_pid=
  return 1
}
port=
for attempt in 1 2 3 4 5; do
  candidate=$((20000 + $(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % 30000))
  if start_sshd "$candidate"; then
    port=$candidate
    break
  fi
done
[ -n "$port" ] || fail "sshd did not start on a free loopback port: $(tail -n 3 "$work/sshd.log")"
say "sshd (pid $sshd_pid) on 127.0.0.1:$port"
known_hosts="[127.0.0.1]:$port $(cut -d' ' -f1,2 "$work/host_key.pub")"
wrong_known_hosts="[127.0.0.1]:$port $(cut -d' ' -f1,2 "$work/other_host_key.pub")"

# --- 2. the package and the job, installed like create-env installs them -------------------------
packages=$work/installation/packages
jobs=$work/installation/jobs
mkdir -p "$work/release" "$work/compile" "$packages/bosh-libvirt-cpi" "$work/release/job"
tar -xzf "$release" -C "$work/release"
tar -xzf "$work/release/packages/bosh-libvirt-cpi.tgz" -C "$work/compile"
(cd "$work/compile" && BOSH_INSTALL_TARGET=$packages/bosh-libvirt-cpi BOSH_COMPILE_TARGET=$work/compile \
  bash packaging) >"$work/packaging.log" 2>&1 || {
  cat "$work/packaging.log" >&2
  fail "the package's packaging script failed"
}
tar -xzf "$work/release/jobs/libvirt_cpi.tgz" -C "$work/release/job"

# install_job URI SSH_PROPERTIES_JSON: renders the job into $jobs/libvirt_cpi (fresh).
install_job() {
  rm -rf "$jobs/libvirt_cpi"
  mkdir -p "$jobs/libvirt_cpi"
  jq -n --arg uri "$1" --arg pool "$pool" --argjson ssh "$2" \
    '{libvirt: {uri: $uri, storage_pool: $pool, domain_type: "qemu", ssh: $ssh},
      agent: {mbus: "https://mbus:secret@0.0.0.0:6868"}, lock_dir: "'"$work"'/locks"}' >"$work/props.json"
  render_job "$work/release/job" "$work/props.json" "$jobs/libvirt_cpi" || fail "rendering the job"
}

# call JSON: the packaged bin/cpi with create-env's environment; the response on stdout, the
# CPI's stderr appended to $work/cpi.stderr (disk_roundtrip's extra arguments are not needed).
call() {
  env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin BOSH_PACKAGES_DIR="$packages" BOSH_JOBS_DIR="$jobs" \
    "$jobs/libvirt_cpi/bin/cpi" <<<"$1" 2>>"$work/cpi.stderr"
}

# lifecycle LABEL: info, then a disk's round trip (disk_roundtrip), over the installed job.
lifecycle() {
  local r
  r=$(call '{"method":"info","arguments":[],"context":{"director_uuid":"remote-test"}}')
  [ "$(jq -c .result.api_version <<<"$r")" = 2 ] || fail "$1: info: $r"
  disk_roundtrip "$1"
}

ssh_props=$(jq -n --rawfile key "$work/client_key" --arg kh "$known_hosts" \
  '{private_key: $key, known_hosts: $kh}')

# --- 3. qemu+ssh:// with the job's key and known_hosts ------------------------------------------
uri="qemu+ssh://root@127.0.0.1:$port/system"
install_job "$uri" "$ssh_props"
key_file=$jobs/libvirt_cpi/config/ssh/id_key
cmp -s "$key_file" "$work/client_key" || fail "config/ssh/id_key is not the private_key property"
grep -qxF "$known_hosts" "$jobs/libvirt_cpi/config/ssh/known_hosts" || fail "config/ssh/known_hosts"
rendered=$(jq -r .libvirt.uri "$jobs/libvirt_cpi/config/cpi.json")
[ "$rendered" = "$uri?keyfile=ssh%2Fid_key&command=..%2Fbin%2Flibvirt-ssh" ] ||
  fail "rendered libvirt.uri is $rendered"
# What the CPI opens: the relative files anchored at the job's config folder.
"$build_dir/bosh-libvirt-cpi" --check-config "$jobs/libvirt_cpi/config/cpi.json" >"$work/check" ||
  fail "--check-config rejects the rendered cpi.json"
grep -qF "uri '$uri?keyfile=$jobs/libvirt_cpi/config/ssh%2Fid_key&command=$jobs/libvirt_cpi/config/..%2Fbin%2Flibvirt-ssh'" "$work/check" ||
  fail "the CPI does not anchor the job's files: $(cat "$work/check")"
chmod 0644 "$key_file" # what create-env leaves (BOSH has no template modes); ssh refuses it
lifecycle qemu+ssh
[ "$(stat -c %a "$key_file")" = 600 ] || fail "bin/cpi left config/ssh/id_key mode $(stat -c %a "$key_file")"

# --- 4. qemu+libssh:// (libvirt's own ssh client): rendered, and its host key check below --------
# (Not its lifecycle: with libvirt 9.0 and libssh 0.10.6 a create_disk over it created the volume
# and then never answered; README.md, "Reaching libvirtd from a Director".)
install_job "qemu+libssh://root@127.0.0.1:$port/system" "$ssh_props"
rendered=$(jq -r .libvirt.uri "$jobs/libvirt_cpi/config/cpi.json")
[ "$rendered" = "qemu+libssh://root@127.0.0.1:$port/system?keyfile=ssh%2Fid_key&known_hosts=ssh%2Fknown_hosts" ] ||
  fail "rendered libssh libvirt.uri is $rendered"

# --- 5. a host key that is not the one in known_hosts --------------------------------------------
for transport in ssh libssh; do
  uri="qemu+$transport://root@127.0.0.1:$port/system"
  install_job "$uri" "$(jq --arg kh "$wrong_known_hosts" '.known_hosts = $kh' <<<"$ssh_props")"
  : >"$work/cpi.stderr"
  r=$(call '{"method":"has_disk","arguments":["disk-none"],"context":{}}')
  [ "$(jq -r .error.type <<<"$r")" = Bosh::Clouds::CloudError ] || fail "$transport wrong host key: $r"
  [ "$(jq -r .error.ok_to_retry <<<"$r")" = false ] || fail "$transport wrong host key is retryable: $r"
  message=$(jq -r .error.message <<<"$r")
  grep -qF "127.0.0.1" <<<"$message" || fail "$transport wrong host key: the host is not named: $message"
  grep -qF "qemu+$transport://root@127.0.0.1:$port/system?" <<<"$message" ||
    fail "$transport wrong host key: the URI is not named: $message"
  # No key material anywhere: neither key file's body, nor any public key's base64.
  for secret in $(grep -v -- '-----' "$work/client_key") $(cut -d' ' -f2 "$work"/*.pub); do
    if grep -qF -- "$secret" <<<"$r" || grep -qF -- "$secret" "$work/cpi.stderr"; then
      fail "$transport wrong host key: key material in the response or on stderr"
    fi
  done
  say "$transport wrong host key: $message"
done

# --- 6. verify_host false without known_hosts ---------------------------------------------------
install_job "qemu+ssh://root@127.0.0.1:$port/system" \
  "$(jq '{private_key, verify_host: false}' <<<"$ssh_props")"
rendered=$(jq -r .libvirt.uri "$jobs/libvirt_cpi/config/cpi.json")
[ "$rendered" = "qemu+ssh://root@127.0.0.1:$port/system?keyfile=ssh%2Fid_key&no_verify=1" ] ||
  fail "rendered no-verify libvirt.uri is $rendered"
r=$(call '{"method":"has_disk","arguments":["disk-none"],"context":{}}')
[ "$(result "$r")" = false ] || fail "verify_host false: has_disk: $r"
# A key without known_hosts or verify_host false is refused when the job is rendered.
if render_job "$work/release/job" <(jq '.libvirt.ssh |= {private_key}' "$work/props.json") \
  "$work/refused" 2>"$work/refused.err"; then
  fail "a private key without known_hosts or verify_host false was rendered"
fi
grep -q "libvirt.ssh.private_key is set without libvirt.ssh.known_hosts" "$work/refused.err" ||
  fail "the refusal does not say why: $(cat "$work/refused.err")"

# --- 7. TLS, rendered -------------------------------------------------------------------------------
rm -rf "$jobs/libvirt_cpi" && mkdir -p "$jobs/libvirt_cpi"
jq -n --arg pool "$pool" '{libvirt: {uri: "qemu+tls://kvm.example/system?no_tty=1", storage_pool: $pool,
  tls: {ca_cert: "CA PEM", client_cert: "CERT PEM", client_key: "KEY PEM"}},
  agent: {mbus: "https://mbus:secret@0.0.0.0:6868"}}' >"$work/tls.json"
render_job "$work/release/job" "$work/tls.json" "$jobs/libvirt_cpi" || fail "rendering the job for TLS"
for pair in cacert.pem:"CA PEM" clientcert.pem:"CERT PEM" clientkey.pem:"KEY PEM"; do
  [ "$(cat "$jobs/libvirt_cpi/config/tls/${pair%%:*}")" = "${pair#*:}" ] || fail "config/tls/${pair%%:*}"
done
rendered=$(jq -r .libvirt.uri "$jobs/libvirt_cpi/config/cpi.json")
[ "$rendered" = "qemu+tls://kvm.example/system?no_tty=1&pkipath=tls" ] || fail "rendered TLS libvirt.uri is $rendered"
"$build_dir/bosh-libvirt-cpi" --check-config "$jobs/libvirt_cpi/config/cpi.json" >"$work/check" ||
  fail "--check-config rejects the TLS cpi.json"
grep -qF "uri 'qemu+tls://kvm.example/system?no_tty=1&pkipath=$jobs/libvirt_cpi/config/tls'" "$work/check" ||
  fail "the CPI does not anchor pkipath: $(cat "$work/check")"
chmod 0644 "$jobs/libvirt_cpi/config/tls/clientkey.pem"
env -i PATH=/usr/bin:/bin BOSH_PACKAGES_DIR="$packages" BOSH_JOBS_DIR="$jobs" \
  "$jobs/libvirt_cpi/bin/cpi" <<<'{"method":"info","arguments":[],"context":{}}' >/dev/null 2>&1 ||
  fail "bin/cpi info with the TLS job"
[ "$(stat -c %a "$jobs/libvirt_cpi/config/tls/clientkey.pem")" = 600 ] || fail "bin/cpi left clientkey.pem readable"
say "ok"
