#!/usr/bin/env bash
# The main job: installs everything, builds the CPI and the test stemcell, then runs one whole
# CPI lifecycle against the local libvirt exactly as the BOSH Director would (a new process per
# call, the contract's request envelope), showing what was created, how long each call took and
# what the guest reported from inside. Everything it creates lives in a private storage pool and
# an isolated network, and is removed at the end, whatever happens.
# `--two-hosts`: the lifecycle over two libvirt hosts instead (scripts/demo-two-hosts.sh).
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
build_dir=${BUILD_DIR:-$repo/build}
cpi="$build_dir/bosh-libvirt-cpi"

bash "$repo/scripts/setup.sh"
echo "== building the test stemcell" >&2
bash "$repo/stemcell/build.sh" "$build_dir/stemcell" >/dev/null
if [ "${1:-}" = --two-hosts ]; then
  source "$repo/scripts/demo-two-hosts.sh"
  exit
fi

id=$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')
pool="bosh-demo-$id"
net="bosh-demo-$id"
pool_dir="/var/lib/libvirt/images/$pool"
work=$(mktemp -d)
chmod 755 "$work"
subnet="10.$((200 + 0x${id:0:2} % 50)).$((0x${id:2:2} % 250))"
vm="" stemcell="" disk=""

cleanup() {
  set +e
  [ -n "$vm" ] && virsh -q destroy "$vm" >/dev/null 2>&1
  [ -n "$vm" ] && virsh -q undefine "$vm" >/dev/null 2>&1
  for v in $(virsh -q vol-list "$pool" 2>/dev/null | awk '{print $1}'); do
    virsh -q vol-delete "$v" --pool "$pool" >/dev/null 2>&1
  done
  virsh -q pool-destroy "$pool" >/dev/null 2>&1
  virsh -q net-destroy "$net" >/dev/null 2>&1
  rm -rf "$pool_dir" "$work"
}
trap cleanup EXIT

mkdir -p "$pool_dir" "$work/console" && chmod 755 "$pool_dir" && chmod 777 "$work/console"
virsh -q pool-create-as "$pool" dir --target "$pool_dir" >/dev/null
cat >"$work/net.xml" <<XML
<network><name>$net</name><bridge name='bd$id'/><ip address='$subnet.1' netmask='255.255.255.0'/></network>
XML
virsh -q net-create "$work/net.xml" >/dev/null
cat >"$work/cpi.json" <<JSON
{"libvirt": {"uri": "qemu:///system", "storage_pool": "$pool", "network": "$net",
             "domain_type": "auto", "console_log_dir": "$work/console"},
 "agent": {"mbus": "https://mbus:demo-password@0.0.0.0:6868", "ntp": ["pool.ntp.org"]},
 "lock_dir": "$work/locks"}
JSON
echo "== private world: pool '$pool', isolated network '$net' ($subnet.0/24)" >&2

last_ms=0
# call METHOD ARGS-JSON: one CPI call as the Director makes it; prints the result JSON.
call() {
  local method=$1 args=$2 request response t0 t1 error
  request=$(jq -cn --arg m "$method" --argjson a "$args" \
    '{method: $m, arguments: $a, api_version: 2,
      context: {director_uuid: "demo-director", request_id: ("cpi-" + (now | tostring | .[-6:])),
                vm: {stemcell: {api_version: 3}}}}')
  t0=$(date +%s%N)
  response=$("$cpi" --config "$work/cpi.json" <<<"$request" 2>>"$work/cpi.log")
  t1=$(date +%s%N)
  last_ms=$(((t1 - t0) / 1000000))
  error=$(jq -c '.error' <<<"$response")
  if [ "$error" != "null" ]; then
    printf '  %-24s FAILED after %5d ms: %s\n' "$method" "$last_ms" "$error" >&2
    exit 1
  fi
  printf '  %-24s %6d ms  -> %s\n' "$method" "$last_ms" "$(jq -c '.result' <<<"$response" | cut -c1-110)" >&2
  jq -c '.result' <<<"$response"
}

# wait_for EVENT [SKIP]: waits for the guest's report (test stemcell, serial console).
wait_for() {
  local event=$1 skip=${2:-0} log="$work/console/$vm.console.log" i line
  for ((i = 0; i < 900; i++)); do
    line=$(grep -a 'BOSH-TEST {' "$log" 2>/dev/null | tail -n +"$((skip + 1))" |
      sed 's/.*BOSH-TEST //; s/\r$//' | jq -c "select(.event == \"$event\")" 2>/dev/null | head -1 || true)
    if [ -n "$line" ]; then
      echo "$line"
      return
    fi
    sleep 0.2
  done
  echo "guest did not report '$event' in 180 s; console log: $log" >&2
  exit 1
}
events_so_far() { grep -ac 'BOSH-TEST {' "$work/console/$vm.console.log" || true; }

echo "== lifecycle" >&2
start=$(date +%s)
call info '[]' >/dev/null
stemcell_cp=$(tar -xzOf "$build_dir/stemcell/bosh-stemcell-0.0.1-openstack-kvm-tiny.tgz" stemcell.MF |
  awk '/^cloud_properties:/{on=1;next} on && /^  /{sub(/^  /,""); print} on && !/^  /{on=0}' |
  sed -E "s/^([a-z_]+): '?([^']*)'?$/\1\t\2/" |
  jq -Rn '[inputs | split("\t") | {(.[0]): (.[1] | (tonumber? // (if . == "true" then true elif . == "false" then false else . end)))}] | add')
stemcell=$(call create_stemcell "$(jq -cn --arg p "$build_dir/stemcell/image-qcow2" --argjson cp "$stemcell_cp" '[$p, $cp]')" | jq -r .)

networks=$(jq -cn --arg s "$subnet" --arg n "$net" \
  '{default: {type: "manual", ip: ($s + ".10"), netmask: "255.255.255.0", gateway: ($s + ".1"),
              dns: [($s + ".1")], default: ["dns", "gateway"], cloud_properties: {network: $n}}}')
env='{"bosh":{"password":"$6$demo$notarealhash","mbus":{"cert":{"ca":"CA","certificate":"CERT","private_key":"KEY"}}}}'
created=$(call create_vm "$(jq -cn --argjson n "$networks" --argjson e "$env" --arg s "$stemcell" \
  '["demo-agent-0", $s, {cpu: 1, memory: 128, ephemeral_disk: {size: 64}}, $n, [], $e]')")
vm=$(jq -r '.[0]' <<<"$created")
echo "  VM $vm: MAC $(jq -r '.[1].default.mac' <<<"$created"), IP $subnet.10; waiting for the guest..." >&2
t0=$(date +%s)
wait_for ready >/dev/null
echo "  guest ready after $(($(date +%s) - t0)) s; it reported:" >&2
echo "    config drive: $(wait_for config_drive | jq -c '{device, "label": .label, fstype}')" >&2
echo "    settings:     $(wait_for settings | jq -c '{valid, agent_id, vm_name, mbus}')" >&2
echo "    network:      $(wait_for network | jq -c '{iface, mac, mode, ip}')" >&2
echo "    disks:        $(wait_for disks | jq -c '[.disks[] | {name, serial}]')" >&2

call set_vm_metadata "$(jq -cn --arg v "$vm" '[$v, {director: "demo", deployment: "demo", job: "web", index: "0", name: "web/0"}]')" >/dev/null
echo "  virsh list --title: $(virsh -q list --title | grep "$vm" | awk '{$1=""; print}')" >&2

disk=$(call create_disk "$(jq -cn --arg v "$vm" '[128, {}, $v]')" | jq -r .)
seen=$(events_so_far)
call attach_disk "$(jq -cn --arg v "$vm" --arg d "$disk" '[$v, $d]')" >/dev/null
echo "    guest:        $(wait_for disk_added "$seen" | jq -c '{event, name, serial}')" >&2
echo "    guest:        $(wait_for disk_written "$seen" | jq -c '{event, serial, marker}')" >&2
seen=$(events_so_far)
call detach_disk "$(jq -cn --arg v "$vm" --arg d "$disk" '[$v, $d]')" >/dev/null
echo "    guest:        $(wait_for disk_removed "$seen" | jq -c '{event, name, serial}')" >&2
call delete_disk "$(jq -cn --arg d "$disk" '[$d]')" >/dev/null

seen=$(events_so_far)
call reboot_vm "$(jq -cn --arg v "$vm" '[$v]')" >/dev/null
echo "    guest:        $(wait_for boot "$seen" | jq -c '{event, boot_id}') then $(wait_for settings "$seen" | jq -c '{valid}')" >&2
call delete_vm "$(jq -cn --arg v "$vm" '[$v]')" >/dev/null
vm_deleted=$vm
vm=""
call delete_stemcell "$(jq -cn --arg s "$stemcell" '[$s]')" >/dev/null
left=$(virsh -q vol-list "$pool" | wc -l)
echo "== done in $(($(date +%s) - start)) s; domain '$vm_deleted' gone: $(virsh -q dominfo "$vm_deleted" >/dev/null 2>&1 && echo no || echo yes); volumes left in pool: $left" >&2
[ "$left" = 0 ]
