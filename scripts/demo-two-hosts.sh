#!/usr/bin/env bash
# The lifecycle over two libvirt hosts (issue 18), as `scripts/demo.sh --two-hosts`: the same
# two hosts as the multi-host tests (tests/multihost/multihost_support.h) —
#   kvm-a  this machine's libvirtd over qemu+ssh:// through a private sshd (a free loopback port,
#          host and client keys made here, our known_hosts only, never the machine's sshd), az z1
#   kvm-b  a private root libvirtd in its own mount namespace over qemu+tcp:// on 127.0.0.1, az z2
# each with its own pool and address-less network, one CPI config of the `hosts` form. It boots
# one guest of the test stemcell on each host, shows where each object landed, the cross-host
# attach being refused and `bosh-libvirt-cpi hosts`, and removes everything at the end.
# Needs root, openssh-server, libvirt-daemon-system (scripts/setup.sh installs them).
# scripts/demo.sh sources it after the setup and the stemcell build they share ($repo,
# $build_dir, $cpi); run directly, it goes through demo.sh.
set -euo pipefail
if [ -z "${cpi:-}" ]; then
  exec bash "$(dirname "$0")/demo.sh" --two-hosts
fi

id=$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')
work=$(mktemp -d /tmp/bosh-demo2.XXXXXX)
chmod 755 "$work"
mkdir -p "$work/console" "$work/ssh" "$work/lvd"/{etc,run,lib/qemu,lib/dnsmasq,cache/qemu,log}
chmod 777 "$work/console"
sshd_pid="" holder_pid="" virtlogd_pid="" libvirtd_pid=""
vms=()

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
virsh_a() { virsh -q -c qemu:///system "$@"; }
virsh_b() { virsh -q -c "qemu+unix:///system?socket=$work/lvd/run/libvirt-sock" "$@"; }

cleanup() {
  set +e
  local host vol vm
  for host in a b; do
    for vm in "${vms[@]}"; do
      virsh_$host destroy "$vm" >/dev/null 2>&1
      virsh_$host undefine "$vm" >/dev/null 2>&1
    done
    for vol in $(virsh_$host vol-list "demo2-$host-$id" 2>/dev/null | awk '{print $1}'); do
      virsh_$host vol-delete "$vol" --pool "demo2-$host-$id" >/dev/null 2>&1
    done
    virsh_$host pool-destroy "demo2-$host-$id" >/dev/null 2>&1
    virsh_$host net-destroy "demo2-$host-$id" >/dev/null 2>&1
    rm -rf "/var/lib/libvirt/images/demo2-$host-$id"
  done
  for pid in "$sshd_pid" "$libvirtd_pid" "$virtlogd_pid" "$holder_pid"; do
    [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
  done
  rm -rf "$work"
}
trap cleanup EXIT

# --- kvm-a: the system libvirtd behind a private sshd --------------------------------------------
ssh-keygen -q -t ed25519 -N '' -C demo2-host -f "$work/ssh/host_key"
ssh-keygen -q -t ed25519 -N '' -C demo2-client -f "$work/ssh/client_key"
cp "$work/ssh/client_key.pub" "$work/ssh/authorized_keys"
mkdir -p /run/sshd
ssh_port=$(free_port)
cat >"$work/ssh/sshd_config" <<EOF
Port $ssh_port
ListenAddress 127.0.0.1
HostKey $work/ssh/host_key
PidFile $work/ssh/sshd.pid
AuthorizedKeysFile $work/ssh/authorized_keys
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
EOF
/usr/sbin/sshd -D -e -f "$work/ssh/sshd_config" >"$work/ssh/sshd.log" 2>&1 &
sshd_pid=$!
echo "[127.0.0.1]:$ssh_port $(cut -d' ' -f1,2 "$work/ssh/host_key.pub")" >"$work/ssh/known_hosts"
# libvirt's ssh transport has no known_hosts parameter: command= runs ssh with ours only.
cat >"$work/ssh/ssh" <<EOF
#!/bin/sh
exec ssh -o UserKnownHostsFile=$work/ssh/known_hosts -o GlobalKnownHostsFile=/dev/null -o BatchMode=yes -o ConnectTimeout=10 "\$@"
EOF
chmod 755 "$work/ssh/ssh"
uri_a="qemu+ssh://root@127.0.0.1:$ssh_port/system?keyfile=$work/ssh/client_key&command=$work/ssh/ssh&no_tty=1"

# --- kvm-b: a private libvirtd listening on qemu+tcp ---------------------------------------------
lvd=$work/lvd
cp /etc/libvirt/*.conf "$lvd/etc/" && cp -a /etc/libvirt/nwfilter "$lvd/etc/"
[ -d /var/cache/libvirt/qemu/capabilities ] && cp -a /var/cache/libvirt/qemu/capabilities "$lvd/cache/qemu/"
tcp_port=$(free_port)
printf 'listen_tls = 0\nlisten_tcp = 1\ntcp_port = "%s"\nlisten_addr = "127.0.0.1"\nauth_tcp = "none"\n' \
  "$tcp_port" >>"$lvd/etc/libvirtd.conf"
unshare -m --propagation private /bin/sh -c "set -e
  mount --bind $lvd/etc /etc/libvirt; mount --bind $lvd/run /run/libvirt
  mount --bind $lvd/lib/qemu /var/lib/libvirt/qemu
  mkdir -p /var/lib/libvirt/dnsmasq /var/cache/libvirt /var/log/libvirt
  mount --bind $lvd/lib/dnsmasq /var/lib/libvirt/dnsmasq; mount --bind $lvd/cache /var/cache/libvirt
  mount --bind $lvd/log /var/log/libvirt; touch $lvd/ns-ready; exec sleep 1000000" &
holder_pid=$!
for ((i = 0; i < 100; i++)); do [ -e "$lvd/ns-ready" ] && break; sleep 0.05; done
nsenter -t "$holder_pid" -m -- /usr/sbin/virtlogd -p "$lvd/run/virtlogd.pid" >"$lvd/virtlogd.log" 2>&1 &
virtlogd_pid=$!
for ((i = 0; i < 100; i++)); do [ -S "$lvd/run/virtlogd-sock" ] && break; sleep 0.05; done
nsenter -t "$holder_pid" -m -- /usr/sbin/libvirtd --listen -p "$lvd/run/libvirtd.pid" >"$lvd/libvirtd.log" 2>&1 &
libvirtd_pid=$!
uri_b="qemu+tcp://127.0.0.1:$tcp_port/system"
for ((i = 0; i < 200; i++)); do virsh -q -c "$uri_b" version >/dev/null 2>&1 && break; sleep 0.1; done
virsh -q -c "$uri_a" version >/dev/null || { echo "kvm-a ($uri_a) does not answer" >&2; exit 1; }
virsh -q -c "$uri_b" version >/dev/null || { echo "kvm-b ($uri_b) does not answer" >&2; exit 1; }

# --- a pool and an address-less network on each ---------------------------------------------------
for host in a b; do
  name="demo2-$host-$id"
  mkdir -p "/var/lib/libvirt/images/$name" && chmod 755 "/var/lib/libvirt/images/$name"
  virsh_$host pool-create-as "$name" dir --target "/var/lib/libvirt/images/$name" >/dev/null
  echo "<network><name>$name</name><bridge name='d2$host$id'/></network>" >"$work/net-$host.xml"
  virsh_$host net-create "$work/net-$host.xml" >/dev/null
done
jq -n --arg a "$uri_a" --arg b "$uri_b" --arg id "$id" --arg work "$work" '
  {hosts: [{name: "kvm-a", uri: $a, storage_pool: ("demo2-a-" + $id), network: ("demo2-a-" + $id), az: "z1"},
           {name: "kvm-b", uri: $b, storage_pool: ("demo2-b-" + $id), network: ("demo2-b-" + $id), az: "z2"}],
   libvirt: {domain_type: "auto", console_log_dir: ($work + "/console"), timeout_seconds: 10},
   agent: {mbus: "https://mbus:demo-password@0.0.0.0:6868", ntp: ["pool.ntp.org"]},
   lock_dir: ($work + "/locks")}' >"$work/cpi.json"
echo "== two hosts: kvm-a ${uri_a%%\?*} (az z1), kvm-b $uri_b (az z2)" >&2

# call METHOD ARGS-JSON: one CPI call as the Director makes it; prints the result JSON. With
# EXPECT_ERROR=1 a failure is shown and its error printed instead.
call() {
  local method=$1 args=$2 request response t0 ms error
  request=$(jq -cn --arg m "$method" --argjson a "$args" \
    '{method: $m, arguments: $a, api_version: 2,
      context: {director_uuid: "demo-director", request_id: "cpi-222222", vm: {stemcell: {api_version: 3}}}}')
  t0=$(date +%s%N)
  response=$("$cpi" --config "$work/cpi.json" <<<"$request" 2>>"$work/cpi.log")
  ms=$((($(date +%s%N) - t0) / 1000000))
  error=$(jq -c '.error' <<<"$response")
  if [ "$error" != null ]; then
    printf '  %-24s %s after %5d ms: %s\n' "$method" "$([ "${EXPECT_ERROR:-0}" = 1 ] && echo refused || echo FAILED)" \
      "$ms" "$(jq -r '.error.message' <<<"$response" | cut -c1-160)" >&2
    [ "${EXPECT_ERROR:-0}" = 1 ] || exit 1
    return 0
  fi
  printf '  %-24s %6d ms  -> %s\n' "$method" "$ms" "$(jq -c '.result' <<<"$response" | cut -c1-100)" >&2
  jq -c '.result' <<<"$response"
}
wait_ready() { # VM: the test stemcell's guest reports on its serial console
  local i
  for ((i = 0; i < 900; i++)); do
    grep -aq 'BOSH-TEST {"event":"ready"' "$work/console/$1.console.log" 2>/dev/null && return 0
    sleep 0.2
  done
  echo "guest $1 did not report ready in 180 s" >&2
  exit 1
}
where() { # VM-or-volume: which daemon holds it
  local found=""
  virsh_a dominfo "$1" >/dev/null 2>&1 && found="kvm-a"
  virsh_b dominfo "$1" >/dev/null 2>&1 && found="${found:+$found and }kvm-b"
  echo "${found:-nowhere}"
}
vols() { virsh_$1 vol-list "demo2-$1-$id" | awk '{print $1}' | tr '\n' ' '; }

echo "== lifecycle" >&2
start=$(date +%s)
stemcell_cp='{"name":"bosh-openstack-kvm-tiny","version":"0.0.1","disk":64,"disk_format":"qcow2","container_format":"bare","architecture":"x86_64"}'
stemcell=$(call create_stemcell "$(jq -cn --arg p "$build_dir/stemcell/image-qcow2" --argjson cp "$stemcell_cp" '[$p, $cp]')" | jq -r .)
echo "  stemcell $stemcell: kvm-a pool [$(vols a)], kvm-b pool [$(vols b)]" >&2
network() { jq -cn --arg ip "$1" '{default: {type: "manual", ip: $ip, netmask: "255.255.255.0",
  gateway: "10.77.0.1", dns: ["10.77.0.1"], default: ["dns", "gateway"]}}'; }
vm_a=$(call create_vm "$(jq -cn --arg s "$stemcell" --argjson n "$(network 10.77.0.10)" \
  '["demo-agent-a", $s, {cpu: 1, memory: 128, ephemeral_disk: {size: 64}, az: "z1"}, $n, [], {}]')" | jq -r '.[0]')
vms+=("$vm_a")
vm_b=$(call create_vm "$(jq -cn --arg s "$stemcell" --argjson n "$(network 10.77.0.11)" \
  '["demo-agent-b", $s, {cpu: 1, memory: 128, ephemeral_disk: {size: 64}, host: "kvm-b"}, $n, [], {}]')" | jq -r '.[0]')
vms+=("$vm_b")
echo "  {az: z1} -> $vm_a on $(where "$vm_a"); {host: kvm-b} -> $vm_b on $(where "$vm_b")" >&2
wait_ready "$vm_a" && wait_ready "$vm_b"
echo "  both guests booted and read their settings" >&2
disk_a=$(call create_disk "$(jq -cn --arg v "$vm_a" '[64, {}, $v]')" | jq -r .)
disk_b=$(call create_disk "$(jq -cn --arg v "$vm_b" '[64, {}, $v]')" | jq -r .)
echo "  disks with vm_locality: $disk_a in kvm-a's pool: $(vols a | grep -c "$disk_a" || true), $disk_b in kvm-b's: $(vols b | grep -c "$disk_b" || true)" >&2
call attach_disk "$(jq -cn --arg v "$vm_a" --arg d "$disk_a" '[$v, $d]')" >/dev/null
call attach_disk "$(jq -cn --arg v "$vm_b" --arg d "$disk_b" '[$v, $d]')" >/dev/null
EXPECT_ERROR=1 call attach_disk "$(jq -cn --arg v "$vm_b" --arg d "$disk_a" '[$v, $d]')" >/dev/null
echo "== bosh-libvirt-cpi hosts" >&2
"$cpi" hosts --config "$work/cpi.json" </dev/null >&2 || echo "  (a host did not answer)" >&2
call detach_disk "$(jq -cn --arg v "$vm_a" --arg d "$disk_a" '[$v, $d]')" >/dev/null
call detach_disk "$(jq -cn --arg v "$vm_b" --arg d "$disk_b" '[$v, $d]')" >/dev/null
for vm in "$vm_a" "$vm_b"; do call delete_vm "$(jq -cn --arg v "$vm" '[$v]')" >/dev/null; done
for disk in "$disk_a" "$disk_b"; do call delete_disk "$(jq -cn --arg d "$disk" '[$d]')" >/dev/null; done
call delete_stemcell "$(jq -cn --arg s "$stemcell" '[$s]')" >/dev/null
left_a=$(vols a) left_b=$(vols b)
echo "== done in $(($(date +%s) - start)) s; VMs on: $(where "$vm_a") / $(where "$vm_b"); volumes left: kvm-a [${left_a}] kvm-b [${left_b}]" >&2
[ -z "${left_a// /}" ] && [ -z "${left_b// /}" ]
