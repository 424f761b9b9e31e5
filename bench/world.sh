# Sourced by the bench scripts: a private libvirt world for one benchmark, removed on exit.
#
#   source "$(dirname "$0")/world.sh"
#   world_create TAG          # pool, isolated network, cpi.json, stemcell; sets the variables below
#   world_call METHOD ARGS    # one CPI call (a new process, as the Director makes it); prints .result
#   world_request METHOD ARGS # the request JSON, for timing loops that feed stdin from a file
#
# After world_create: CPI, WORLD (scratch folder, 0755), POOL, POOL_DIR, NET, SUBNET (a.b.c),
# CONFIG (cpi.json), STEMCELL (sc-... imported from the project's test stemcell), NETWORKS (a
# manual-network argument for create_vm, no IP: each VM gets DHCP settings), VM_PROPS.
# world_cleanup (run by the EXIT trap) destroys and undefines every domain whose disks live in
# POOL_DIR, deletes the pool's volumes, the pool, the network and WORLD. It touches nothing else.
#
# Needs: virsh, jq, the built CPI (BUILD_DIR, default <repo>/build) and stemcell/build.sh's
# packages. The test stemcell is built once into STEMCELL_DIR (default /var/tmp/bosh-cpi-bench-stemcell).

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD_DIR=$(cd "${BUILD_DIR:-$REPO/build}" && pwd)
CPI=$BUILD_DIR/bosh-libvirt-cpi
STEMCELL_DIR=${STEMCELL_DIR:-/var/tmp/bosh-cpi-bench-stemcell}
VIRSH="virsh -q -c qemu:///system"
VM_PROPS='{"cpu":1,"memory":128,"ephemeral_disk":{"size":64}}'

WORLD="" POOL="" NET=""

# A /24 in 10.150-199.x that no interface or route on this host uses yet.
world_free_subnet() {
	local try a b
	for try in $(seq 1 50); do
		a=$((150 + RANDOM % 50)) b=$((RANDOM % 250))
		if ! ip -4 route show | grep -q "^10\.$a\.$b\." && ! ip -4 -o addr show | grep -q " 10\.$a\.$b\."; then
			echo "10.$a.$b"
			return
		fi
	done
	echo "no free 10.x.y.0/24 found" >&2
	return 1
}

# Domains of this world: those with a disk in POOL_DIR (the pool folder is unique to the world).
world_domains() {
	local dom
	for dom in $($VIRSH list --all --name 2>/dev/null); do
		if $VIRSH domblklist "$dom" --details 2>/dev/null | grep -q " $POOL_DIR/"; then echo "$dom"; fi
	done
}

world_delete_domains() {
	local dom
	for dom in $(world_domains); do
		$VIRSH destroy "$dom" >/dev/null 2>&1 || true
		$VIRSH undefine "$dom" --nvram >/dev/null 2>&1 || $VIRSH undefine "$dom" >/dev/null 2>&1 || true
	done
}

world_delete_volumes() {
	local vol keep=${1:-}
	for vol in $($VIRSH vol-list "$POOL" 2>/dev/null | awk '{print $1}'); do
		[ -n "$keep" ] && [ "$vol" = "$keep" ] && continue
		$VIRSH vol-delete --pool "$POOL" "$vol" >/dev/null 2>&1 || true
	done
}

world_cleanup() {
	[ -n "$POOL" ] || return 0
	world_delete_domains
	world_delete_volumes
	$VIRSH pool-destroy "$POOL" >/dev/null 2>&1 || true
	[ -n "$NET" ] && $VIRSH net-destroy "$NET" >/dev/null 2>&1
	rm -rf "$POOL_DIR" "$WORLD"
	POOL=""
}

world_request() {
	jq -cn --arg m "$1" --argjson a "$2" \
		'{method: $m, arguments: $a, api_version: 2,
		  context: {director_uuid: "bench", request_id: "bench", vm: {stemcell: {api_version: 3}}}}'
}

world_call() {
	local response
	response=$(world_request "$1" "$2" | "$CPI" --config "$CONFIG" 2>>"$WORLD/cpi.log")
	if [ "$(jq -c .error <<<"$response")" != null ]; then
		echo "$1 failed: $(jq -c .error <<<"$response")" >&2
		return 1
	fi
	jq -c .result <<<"$response"
}

world_create() {
	local tag=$1 id
	[ -x "$CPI" ] || { echo "no $CPI: build first" >&2; return 1; }
	id=$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')
	POOL=bench-$tag-$id
	NET=bench-$tag-$id
	POOL_DIR=/var/lib/libvirt/images/$POOL
	WORLD=$(mktemp -d "/tmp/bench-$tag-$id.XXXX")
	SUBNET=$(world_free_subnet)
	trap world_cleanup EXIT
	chmod 755 "$WORLD"
	mkdir -p "$POOL_DIR" "$WORLD/console" "$WORLD/locks"
	chmod 755 "$POOL_DIR"
	chmod 777 "$WORLD/console"
	$VIRSH pool-create-as "$POOL" dir --target "$POOL_DIR" >/dev/null
	# Isolated (no <forward>), DNS left on: libvirt 9 needs it.
	cat >"$WORLD/net.xml" <<-XML
		<network><name>$NET</name><bridge name='bb$id'/><ip address='$SUBNET.1' netmask='255.255.255.0'>
		<dhcp><range start='$SUBNET.100' end='$SUBNET.250'/></dhcp></ip></network>
	XML
	$VIRSH net-create "$WORLD/net.xml" >/dev/null
	CONFIG=$WORLD/cpi.json
	cat >"$CONFIG" <<-JSON
		{"libvirt": {"uri": "qemu:///system", "storage_pool": "$POOL", "network": "$NET",
		             "domain_type": "qemu", "console_log_dir": "$WORLD/console"},
		 "agent": {"mbus": "nats://$SUBNET.1:4222", "ntp": ["pool.ntp.org"]},
		 "lock_dir": "$WORLD/locks"}
	JSON
	NETWORKS=$(jq -cn --arg n "$NET" '{default: {type: "dynamic", dns: ["8.8.8.8"], default: ["dns", "gateway"],
		cloud_properties: {network: $n}}}')
	bash "$REPO/stemcell/build.sh" "$STEMCELL_DIR" >/dev/null
	STEMCELL=$(world_call create_stemcell "$(jq -cn --arg p "$STEMCELL_DIR/image-qcow2" \
		'[$p, {name: "bosh-openstack-kvm-tiny", version: "0.0.1", disk: 64, disk_format: "qcow2",
		       container_format: "bare", infrastructure: "openstack", hypervisor: "kvm",
		       os_type: "linux", architecture: "x86_64"}]')" | jq -r .)
	echo "world: pool $POOL, network $NET ($SUBNET.0/24), stemcell $STEMCELL" >&2
}

# create_vm with the world's stemcell; prints the VM CID.
world_create_vm() {
	world_call create_vm "$(jq -cn --arg s "$STEMCELL" --argjson p "$VM_PROPS" --argjson n "$NETWORKS" \
		'["bench-agent", $s, $p, $n, [], {}]')" | jq -r '.[0]'
}

# Machine description for BENCHMARKS.md.
machine_description() {
	local cpu ram
	cpu=$(awk -F': ' '/model name/{print $2; exit}' /proc/cpuinfo)
	ram=$(awk '/MemTotal/{printf "%.1f GiB", $2/1048576}' /proc/meminfo)
	echo "nproc $(nproc), $cpu, RAM $ram, kernel $(uname -r)," \
		"libvirt $(virsh -c qemu:///system version 2>/dev/null | awk '/Using library/{print $4}')," \
		"QEMU $(virsh -c qemu:///system version 2>/dev/null | awk '/Running hypervisor/{print $4}')"
}
