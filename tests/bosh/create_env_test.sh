#!/usr/bin/env bash
# The real-client test (CTest label `bosh`): the real BOSH CLI v7.1.2 deploys
# manifests/examples/create-env.yml with this project's CPI release and the agent stemcell
# (the real agent v2.505.0) on the local libvirtd, in a storage pool and network of its own:
#
#   1. `bosh create-env` with a persistent disk: exit 0; the state file's VM, disk and stemcell
#      CIDs exist in libvirt; the agent reports the job running under monit; the job's pre-start
#      left a marker on the persistent disk.
#   2. `bosh create-env` with more memory: a new VM (new CID, new memory size), the same disk CID
#      moved to it, and the job's pre-start found the marker the first VM wrote (the deploy itself
#      fails otherwise: store_marker.require_previous).
#   3. `bosh delete-env`: exit 0 and nothing of the test left in libvirt.
#
# What the guest saw is read back through the agent's own API (get_state, fetch_logs and its
# blobstore), the way the CLI talks to it. Wall time per stage and the CPI's share of it (the
# sum of the CPI processes' lifetimes, traced with strace, over the stage's wall time) are
# printed at the end; BENCHMARKS.md ("bosh create-env end to end") records them.
#
# Inputs (environment), each built when absent; tests/bosh/release_lib.sh has the rest
# (BOSH_CLI, CPI_TEST_CPI_RELEASE, CPI_BINARY_DIR, CPI_SHARED_DIR):
#   CPI_TEST_AGENT_STEMCELL   stemcell tarball (default: built by stemcell/build-agent-stemcell.sh
#                             into $CPI_BINARY_DIR/agent-stemcell, as scripts/test.sh does)
#   KEEP_WORK=1               keep the work folder (state, CLI logs, console logs) on success
set -uo pipefail

test_name=bosh-create-env
# repo, build_dir, say, bosh_cli, cpi_release (and a plain fail, replaced below).
source "$(dirname "${BASH_SOURCE[0]}")/release_lib.sh"
manifest=$repo/manifests/examples/create-env.yml

# --- the test's own world -------------------------------------------------------------------
id=$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')
v=$((16#$id))
pool=cpitest-bosh-$id
net=cpitest-bosh-$id
bridge=cpib$id
# 10.150-199.x: other suites pick 10.200-249.x (tests/support/libvirt_world.cc).
prefix=10.$((150 + v % 50)).$(((v >> 6) % 250))
pool_dir=/var/lib/libvirt/images/$pool
work=/tmp/$pool
virsh=(virsh -q -c qemu:///system)
stage=setup
vm_cids=()

mkdir -p "$work"/{home,tmp,console,locks}
chmod 0777 "$work/console"

# Whether domain $1 has a disk in our pool (its XML is read whole: with pipefail, `virsh | grep -q`
# fails when grep stops reading early).
on_our_pool() {
  local xml
  xml=$("${virsh[@]}" dumpxml "$1" 2>/dev/null) || return 1
  [[ $xml == *"$pool_dir/"* || $xml == *"'$pool'"* ]]
}

# Whether disk volume $2 of our pool is attached to domain $1.
has_disk() {
  local disks
  disks=$("${virsh[@]}" domblklist "$1" --details 2>/dev/null) || return 1
  [[ $disks == *"$pool_dir/$2"* ]]
}

cleanup() {
  local rc=$?
  # Whatever the stages left (a failed run): domains whose disks live in our pool, then the pool
  # and the network. Only objects of this run are touched.
  local d
  for d in $("${virsh[@]}" list --all --name 2>/dev/null); do
    if on_our_pool "$d"; then
      say "cleanup: removing domain $d"
      "${virsh[@]}" destroy "$d" >/dev/null 2>&1
      "${virsh[@]}" undefine "$d" >/dev/null 2>&1
    fi
  done
  if "${virsh[@]}" pool-info "$pool" >/dev/null 2>&1; then
    "${virsh[@]}" pool-refresh "$pool" >/dev/null 2>&1
    local vol
    for vol in $("${virsh[@]}" vol-list "$pool" 2>/dev/null | awk '{print $1}'); do
      say "cleanup: removing volume $vol"
      "${virsh[@]}" vol-delete --pool "$pool" "$vol" >/dev/null 2>&1
    done
    "${virsh[@]}" pool-destroy "$pool" >/dev/null 2>&1
  fi
  "${virsh[@]}" net-destroy "$net" >/dev/null 2>&1
  rm -rf "$pool_dir"
  if [ "$rc" -eq 0 ] && [ "${KEEP_WORK:-0}" != 1 ]; then
    rm -rf "$work"
  else
    say "work folder kept: $work"
  fi
  exit "$rc"
}
trap cleanup EXIT

fail() {
  say "FAILED in stage $stage: $*"
  if [ -f "$work/$stage.out" ]; then
    echo "----- bosh output ($stage) -----" >&2
    tail -n 80 "$work/$stage.out" >&2
  fi
  local log
  for log in "$work"/console/*.console.log; do
    [ -f "$log" ] || continue
    echo "----- serial console: tail of $(basename "$log") -----" >&2
    tail -n 60 "$log" | tr -d '\r' >&2
  done
  exit 1
}

need() { command -v "$1" >/dev/null || fail "$1 is missing (bash scripts/setup.sh installs it)"; }
for tool in virsh strace ruby python3 jq; do need "$tool"; done

# --- inputs ---------------------------------------------------------------------------------
bosh=$(bosh_cli) || exit 1
stemcell=${CPI_TEST_AGENT_STEMCELL:-}
if [ -z "$stemcell" ]; then
  bash "$repo/stemcell/build-agent-stemcell.sh" "$build_dir/agent-stemcell" >&2 ||
    fail "building the agent stemcell"
  stemcell=$(ls -t "$build_dir"/agent-stemcell/bosh-stemcell-*-go_agent.tgz | awk 'NR == 1')
fi
cpi_release=$(cpi_release) || exit 1
[ -f "$stemcell" ] || fail "no agent stemcell tarball ($stemcell)"
[ -f "$cpi_release" ] || fail "no CPI release tarball ($cpi_release)"

# The CLI and every process it starts get only these variables: no BOSH_* of the caller, and a
# HOME of their own so that ~/.bosh (installations, caches) starts empty and stays here.
bosh_env=(env -i "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
  "HOME=$work/home" "TMPDIR=$work/tmp" "LANG=C.UTF-8" BOSH_NON_INTERACTIVE=true)

# The test release, made from a copy (create-release writes dev_releases/ into its folder).
cp -r "$repo/tests/bosh/test-release" "$work/test-release"
"${bosh_env[@]}" "$bosh" create-release --dir "$work/test-release" --force \
  --tarball "$work/create-env-example.tgz" >"$work/create-release.out" 2>&1 ||
  { stage=create-release; fail "bosh create-release of tests/bosh/test-release"; }

# --- pool and network -----------------------------------------------------------------------
mkdir -p "$pool_dir" && chmod 0755 "$pool_dir"
cat >"$work/pool.xml" <<EOF
<pool type='dir'><name>$pool</name><target><path>$pool_dir</path></target></pool>
EOF
cat >"$work/net.xml" <<EOF
<network><name>$net</name><bridge name='$bridge'/>
  <ip address='$prefix.1' netmask='255.255.255.0'/></network>
EOF
"${virsh[@]}" pool-create "$work/pool.xml" >/dev/null || fail "creating pool $pool"
"${virsh[@]}" net-create "$work/net.xml" >/dev/null || fail "creating network $net ($prefix.0/24)"
say "world: pool $pool, network $net ($prefix.0/24), work folder $work"

# Test-only settings on top of the example: the console logs and CPI locks go into the work
# folder; stage 2 changes the VM's memory and requires the first VM's marker.
cat >"$work/test-ops.yml" <<EOF
- type: replace
  path: /cloud_provider/properties/libvirt/console_log_dir?
  value: $work/console
- type: replace
  path: /cloud_provider/properties/lock_dir?
  value: $work/locks
EOF
cat >"$work/recreate-ops.yml" <<'EOF'
- type: replace
  path: /resource_pools/name=vms/cloud_properties/memory
  value: 1536
- type: replace
  path: /instance_groups/name=example/properties/store_marker/require_previous
  value: true
EOF

ip=$prefix.10
deploy_args=("$manifest" --state "$work/state.json" --vars-store "$work/creds.yml"
  -o "$work/test-ops.yml"
  -v cpi_release="$cpi_release" -v example_release="$work/create-env-example.tgz"
  -v stemcell="$stemcell"
  -v libvirt_uri=qemu:///system -v libvirt_storage_pool="$pool" -v libvirt_network="$net"
  -v libvirt_domain_type=qemu
  -v internal_cidr="$prefix.0/24" -v internal_gw="$prefix.1" -v internal_ip="$ip")

# Runs one CLI command as stage $1, traced: every process the CLI starts is followed (strace
# -f, execve and exits only) so that each CPI call's lifetime can be summed afterwards.
declare -A wall
run_stage() {
  stage=$1
  shift
  say "$stage: bosh $1 ..."
  local t0 t1 rc
  t0=$(date +%s.%N)
  "${bosh_env[@]}" BOSH_LOG_LEVEL=debug BOSH_LOG_PATH="$work/$stage.debug.log" \
    strace -f -q --seccomp-bpf -e trace=execve -e signal=none -ttt -o "$work/$stage.strace" \
    "$bosh" --tty "$@" >"$work/$stage.out" 2>&1
  rc=$?
  t1=$(date +%s.%N)
  wall[$stage]=$(python3 -c "print($t1 - $t0)")
  say "$stage: exit $rc after $(printf '%.1f' "${wall[$stage]}") s"
  return $rc
}

# CPI calls of a stage: the lifetime of each process that executed the CPI job's bin/cpi, in
# order, named by the method the CLI sent it (its debug log holds each call's STDIN, in order).
cpi_calls() {
  python3 - "$work/$1.strace" "$work/$1.debug.log" <<'EOF'
import json, re, sys
start, calls = {}, []
for line in open(sys.argv[1], errors="replace"):
    m = re.match(r"(\d+) +([\d.]+) +(.*)", line)
    if not m:
        continue
    pid, t, rest = m.group(1), float(m.group(2)), m.group(3)
    if re.match(r'execve\("[^"]*/jobs/libvirt_cpi/bin/cpi"', rest):
        start[pid] = t
    elif rest.startswith("+++ ") and pid in start:
        calls.append((start.pop(pid), t))
calls.sort()
methods = re.findall(r"STDIN: '\{\"method\":\"([a-z_]+)\"", open(sys.argv[2], errors="replace").read())
by = {}
for i, (a, b) in enumerate(calls):
    name = methods[i] if len(methods) == len(calls) else "?"
    n, s = by.get(name, (0, 0.0))
    by[name] = (n + 1, s + b - a)
total = sum(b - a for a, b in calls)
print(json.dumps({"calls": len(calls), "seconds": round(total, 2),
                  "by_method": {k: [n, round(s, 2)] for k, (n, s) in sorted(by.items())}}))
EOF
}

# --- the agent's own API (https mbus), as the CLI uses it -----------------------------------
cat >"$work/agent.py" <<'EOF'
# agent.py URL CAFILE get_state | fetch_job_logs OUTDIR
import base64, io, json, ssl, sys, tarfile, time, urllib.parse, urllib.request
url, cafile, what = sys.argv[1], sys.argv[2], sys.argv[3]
u = urllib.parse.urlsplit(url)
base = f"https://{u.hostname}:{u.port}"
auth = "Basic " + base64.b64encode(f"{u.username}:{urllib.parse.unquote(u.password)}".encode()).decode()
ctx = ssl.create_default_context(cafile=cafile)

def http(path, body=None):
    req = urllib.request.Request(base + path, data=body, headers={"Authorization": auth,
                                 "Content-Type": "application/json"})
    with urllib.request.urlopen(req, context=ctx, timeout=60) as r:
        return r.read()

def call(method, args):
    body = json.dumps({"method": method, "arguments": args, "reply_to": "create-env-test"})
    reply = json.loads(http("/agent", body.encode()))
    if "exception" in reply:
        sys.exit(f"agent {method}: {reply['exception']}")
    value = reply["value"]
    deadline = time.time() + 300
    while isinstance(value, dict) and "agent_task_id" in value and value.get("state") == "running":
        if time.time() > deadline:
            sys.exit(f"agent {method}: task still running after 300 s")
        time.sleep(0.5)
        reply = json.loads(http("/agent", json.dumps(
            {"method": "get_task", "arguments": [value["agent_task_id"]],
             "reply_to": "create-env-test"}).encode()))
        if "exception" in reply:
            sys.exit(f"agent {method} (get_task): {reply['exception']}")
        value = reply["value"]
    return value

if what == "get_state":
    print(json.dumps(call("get_state", ["full"])))
elif what == "fetch_job_logs":
    blob = call("fetch_logs", ["job", []])["blobstore_id"]
    with tarfile.open(fileobj=io.BytesIO(http("/blobs/" + blob)), mode="r:gz") as t:
        t.extractall(sys.argv[4])
EOF

agent() {
  local password
  password=$("${bosh_env[@]}" "$bosh" int "$work/creds.yml" --path /mbus_bootstrap_password) &&
    "${bosh_env[@]}" "$bosh" int "$work/creds.yml" --path /mbus_bootstrap_ssl/ca >"$work/mbus-ca.pem" &&
    python3 "$work/agent.py" "https://mbus:$password@$ip:6868" "$work/mbus-ca.pem" "$@"
}

state() { jq -r "$1" "$work/state.json"; }

# Checks that the agent runs the job under monit and returns the pre-start findings of this VM.
check_job_and_findings() {
  local st logs=$work/$stage.logs
  st=$(agent get_state) || fail "agent get_state"
  echo "$st" | jq -e '.job_state == "running"' >/dev/null || fail "agent job_state: $st"
  echo "$st" | jq -e 'any(.processes[]?; .name == "store_marker" and .state == "running")' \
    >/dev/null || fail "monit process store_marker not running: $st"
  mkdir -p "$logs"
  agent fetch_job_logs "$logs" || fail "agent fetch_logs"
  [ -s "$logs/store_marker/pre-start.findings" ] || fail "no pre-start findings in the job logs"
  [ -s "$logs/store_marker/heartbeat" ] || fail "no heartbeat from the monit process"
  say "$stage: agent: job running, process store_marker running; $(cat "$logs/store_marker/heartbeat")"
  sed "s/^/[$stage] guest: /" "$logs/store_marker/pre-start.findings" >&2
}

domain_memory_kib() { "${virsh[@]}" dumpxml "$1" | sed -n "s:.*<memory unit='KiB'>\([0-9]*\)</memory>.*:\1:p"; }

# --- 1. create-env --------------------------------------------------------------------------
run_stage create-env-1 create-env "${deploy_args[@]}" || fail "bosh create-env exited non-zero"
vm1=$(state .current_vm_cid)
disk1=$(jq -r '.current_disk_id as $d | .disks[] | select(.id == $d) | .cid' "$work/state.json")
stemcell1=$(jq -r '.current_stemcell_id as $s | .stemcells[] | select(.id == $s) | .cid' "$work/state.json")
say "create-env-1: state: vm $vm1, disk $disk1, stemcell $stemcell1"
[ -n "$vm1" ] && [ "$vm1" != null ] || fail "state file has no current VM"
[ -n "$disk1" ] || fail "state file has no current disk"
[ -n "$stemcell1" ] || fail "state file has no current stemcell"
vm_cids+=("$vm1")
[ "$("${virsh[@]}" domstate "$vm1" 2>&1)" = running ] || fail "libvirt has no running domain $vm1"
"${virsh[@]}" vol-info --pool "$pool" "$disk1" >/dev/null || fail "libvirt pool has no disk $disk1"
"${virsh[@]}" vol-info --pool "$pool" "$stemcell1" >/dev/null ||
  fail "libvirt pool has no stemcell volume $stemcell1"
has_disk "$vm1" "$disk1" || fail "disk $disk1 is not attached to $vm1"
[ "$(domain_memory_kib "$vm1")" = $((1024 * 1024)) ] || fail "VM $vm1 does not have 1024 MiB"
check_job_and_findings
grep -qx "pre-start on $vm1: 0 earlier marker(s)" "$work/$stage.logs/store_marker/pre-start.findings" ||
  fail "first pre-start did not run on an empty persistent disk"

# --- 2. create-env with changed cloud_properties ---------------------------------------------
run_stage create-env-2 create-env "${deploy_args[@]}" -o "$work/recreate-ops.yml" ||
  fail "second bosh create-env exited non-zero"
vm2=$(state .current_vm_cid)
disk2=$(jq -r '.current_disk_id as $d | .disks[] | select(.id == $d) | .cid' "$work/state.json")
say "create-env-2: state: vm $vm2, disk $disk2"
vm_cids+=("$vm2")
[ -n "$vm2" ] && [ "$vm2" != null ] && [ "$vm2" != "$vm1" ] || fail "no new VM (was $vm1, now $vm2)"
[ "$disk2" = "$disk1" ] || fail "persistent disk changed from $disk1 to $disk2"
[ "$(jq '.disks | length' "$work/state.json")" = 1 ] || fail "state file lists more than one disk"
"${virsh[@]}" dominfo "$vm1" >/dev/null 2>&1 && fail "old VM $vm1 still exists"
[ "$("${virsh[@]}" domstate "$vm2" 2>&1)" = running ] || fail "libvirt has no running domain $vm2"
[ "$(domain_memory_kib "$vm2")" = $((1536 * 1024)) ] || fail "VM $vm2 does not have 1536 MiB"
has_disk "$vm2" "$disk1" || fail "disk $disk1 is not attached to $vm2"
check_job_and_findings
grep -q "^pre-start on $vm2: found marker written by $vm1 at " \
  "$work/$stage.logs/store_marker/pre-start.findings" ||
  fail "the second VM's pre-start did not find the first VM's marker"

# --- 3. delete-env --------------------------------------------------------------------------
run_stage delete-env delete-env "${deploy_args[@]}" -o "$work/recreate-ops.yml" ||
  fail "bosh delete-env exited non-zero"
"${virsh[@]}" pool-refresh "$pool" >/dev/null
left=$("${virsh[@]}" vol-list "$pool" | awk '{print $1}' | tr '\n' ' ')
[ -z "${left// /}" ] || fail "volumes left in pool $pool: $left"
for d in $("${virsh[@]}" list --all --name); do
  on_our_pool "$d" && fail "domain $d (on pool $pool) left"
done
for vm in "${vm_cids[@]}"; do
  "${virsh[@]}" dominfo "$vm" >/dev/null 2>&1 && fail "domain $vm left"
done
"${virsh[@]}" pool-destroy "$pool" >/dev/null || fail "destroying pool $pool"
"${virsh[@]}" net-destroy "$net" >/dev/null || fail "destroying network $net"
"${virsh[@]}" pool-info "$pool" >/dev/null 2>&1 && fail "pool $pool still exists"
"${virsh[@]}" net-info "$net" >/dev/null 2>&1 && fail "network $net still exists"
stage=report

# --- figures --------------------------------------------------------------------------------
echo "bosh create-env end to end: stemcell $(basename "$stemcell"), release $(basename "$cpi_release")"
printf '%-14s %9s %9s %7s %6s  %s\n' stage "wall s" "CPI s" "CPI %" calls "CPI time by method (calls, s)"
for s in create-env-1 create-env-2 delete-env; do
  c=$(cpi_calls "$s")
  python3 - "$s" "${wall[$s]}" "$c" <<'EOF'
import json, sys
s, wall, c = sys.argv[1], float(sys.argv[2]), json.loads(sys.argv[3])
methods = ", ".join(f"{k} {n}/{t:.2f}" for k, (n, t) in sorted(c["by_method"].items(), key=lambda kv: -kv[1][1]))
print(f"{s:<14} {wall:9.1f} {c['seconds']:9.2f} {100 * c['seconds'] / wall:6.1f}% {c['calls']:6d}  {methods}")
EOF
done
for s in create-env-1 create-env-2 delete-env; do
  echo "$s, the CLI's steps:"
  tr -d '\r' <"$work/$s.out" | grep -E '\.\.\. Finished \(' | sed 's/^ */  /'
done
say "PASSED"
