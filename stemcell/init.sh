#!/bin/sh
# /init of the BOSH test stemcell (busybox ash, PID 1, never exits).
#
# It plays the BOSH agent's side of the CPI contract: finds the config drive,
# checks the agent settings with the agent's types, configures the NICs the
# settings name by MAC, lists the virtio disks by serial and then watches
# for hot-plugged disks.  Every step is reported as one line
# "BOSH-TEST {json}" on the serial console; see stemcell/README.md.
# shellcheck disable=SC2016 # $names in single quotes are jq variables
# shellcheck source=report.sh

PATH=/usr/sbin:/usr/bin:/sbin:/bin
LD_LIBRARY_PATH=/lib/x86_64-linux-gnu
export PATH LD_LIBRARY_PATH
umask 022

/bin/busybox mount -t proc proc /proc
/bin/busybox --install -s # the applet symlinks; needs /proc/self/exe
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /run /tmp /mnt/config
mount -t devpts devpts /dev/pts
mount -t tmpfs -o mode=0755 tmpfs /run
exec </dev/console >/dev/console 2>&1

. /lib/bosh-test/report.sh

STATE=/run/bosh-test
mkdir -p "$STATE/disks"

# PID 1 gets these from `reboot`/`poweroff`/`halt` (busybox's signals) and
# SIGINT from ctrl-alt-del.  Traps run between commands, so within ~1 s.
trap 'shutdown_now reboot ctrl-alt-del' INT
trap 'shutdown_now reboot signal' TERM
trap 'shutdown_now halt signal' USR1
trap 'shutdown_now poweroff signal' USR2
# Without this the kernel restarts at once on ctrl-alt-del instead of
# sending SIGINT to init.
echo 0 >/proc/sys/kernel/ctrl-alt-del

read -r boot_id </proc/sys/kernel/random/boot_id
read -r uptime _ </proc/uptime
report --arg boot_id "$boot_id" --arg uptime "$uptime" --arg kernel "$(uname -r)" \
	'{event: "boot", boot_id: $boot_id, uptime: $uptime, kernel: $kernel}'

# --- kernel modules, in dependency order (computed at build time) ----------
failed_modules=
while read -r module; do
	[ -n "$module" ] || continue
	insmod "$module" 2>/dev/null || failed_modules="$failed_modules ${module##*/}"
done </etc/bosh-test/modules
if [ -n "$failed_modules" ]; then
	# shellcheck disable=SC2086 # split the list into jq's positional args
	report_error modules "some kernel modules failed to load" \
		'{modules: $ARGS.positional}' --args $failed_modules
fi

hostname bosh-test
ip link set lo up

# The ACPI power button (virsh shutdown) -> /etc/acpi/PWRF/00000080.
acpid -c /etc/acpi -l /run/acpid.log -p /run/acpid.pid

# --- config drive -------------------------------------------------------------
# Like the agent: any block device labelled config-2 or CONFIG-2, ISO9660
# (what the CPI writes) or VFAT.  Devices appear while drivers probe, so poll.
config_dev=
config_label=
find_config_drive() {
	tries=0
	while [ "$tries" -lt 20 ]; do
		for label in config-2 CONFIG-2; do
			if dev=$(findfs "LABEL=$label" 2>/dev/null) && [ -n "$dev" ]; then
				config_dev=$dev
				config_label=$label
				return 0
			fi
		done
		sleep 0.5
		tries=$((tries + 1))
	done
	return 1
}

have_ud=false
have_md=false
fstype=
if find_config_drive; then
	for t in iso9660 vfat; do
		if mount -t "$t" -o ro "$config_dev" /mnt/config 2>/dev/null; then
			fstype=$t
			break
		fi
	done
	if [ -n "$fstype" ]; then
		if [ -f /mnt/config/ec2/latest/user-data ]; then
			cp /mnt/config/ec2/latest/user-data "$STATE/user-data" && have_ud=true
		fi
		if [ -f /mnt/config/ec2/latest/meta-data.json ]; then
			cp /mnt/config/ec2/latest/meta-data.json "$STATE/meta-data.json" && have_md=true
		fi
		umount /mnt/config
		report --arg device "$config_dev" --arg lbl "$config_label" --arg fstype "$fstype" \
			--argjson user_data "$have_ud" --argjson meta_data "$have_md" \
			'{event: "config_drive", device: $device, "label": $lbl, fstype: $fstype,
			  user_data: $user_data, meta_data: $meta_data}'
	else
		report_error config_drive "cannot mount $config_dev as iso9660 or vfat" \
			--arg device "$config_dev" --arg lbl "$config_label" '{device: $device, "label": $lbl}'
	fi
else
	report_error config_drive "no block device labelled config-2 or CONFIG-2 within 10 s"
fi

# --- settings -----------------------------------------------------------------
settings_valid=false
if [ -n "$fstype" ]; then
	ud_file=/dev/null
	md_file=/dev/null
	[ "$have_ud" = true ] && ud_file=$STATE/user-data
	[ "$have_md" = true ] && md_file=$STATE/meta-data.json
	if settings_report=$(jq -cn --rawfile ud "$ud_file" --rawfile md "$md_file" \
		--arg have_ud "$have_ud" --arg have_md "$have_md" -f /lib/bosh-test/settings.jq); then
		# Already one compact object from jq: print it as it is (each jq
		# start costs ~0.2 s under TCG).
		report_json "$settings_report"
		case $settings_report in
		*'"valid":true'*)
			settings_valid=true
			cp "$STATE/user-data" "$STATE/settings.json"
			;;
		esac
	else
		report_error settings "jq failed while checking the settings"
	fi
fi

# --- networks -----------------------------------------------------------------
# Mirrors the agent: a network's "mac" picks the NIC; static when use_dhcp and
# resolved are not true, the type is not dynamic and ip+netmask are set;
# otherwise DHCP.  The default route goes via the network whose "default"
# lists "gateway" (or the only network).  vip networks get no NIC.

# netmask_to_prefix 255.255.255.0 -> 24; fails on a non-contiguous mask.
netmask_to_prefix() {
	bits=0
	seen_short=false
	old_ifs=$IFS
	IFS=.
	# shellcheck disable=SC2086
	set -- $1
	IFS=$old_ifs
	[ $# -eq 4 ] || return 1
	for octet in "$@"; do
		case $octet in
		255) n=8 ;; 254) n=7 ;; 252) n=6 ;; 248) n=5 ;; 240) n=4 ;;
		224) n=3 ;; 192) n=2 ;; 128) n=1 ;; 0) n=0 ;;
		*) return 1 ;;
		esac
		if [ "$seen_short" = true ] && [ "$n" -ne 0 ]; then return 1; fi
		[ "$n" -lt 8 ] && seen_short=true
		bits=$((bits + n))
	done
	echo "$bits"
}

nic_for_mac() {
	for path in /sys/class/net/*; do
		[ "${path##*/}" = lo ] && continue
		read -r addr 2>/dev/null <"$path/address" || continue
		if [ "$addr" = "$1" ]; then
			echo "${path##*/}"
			return 0
		fi
	done
	return 1
}

nic_count() {
	count=0
	for path in /sys/class/net/*; do
		[ "${path##*/}" = lo ] || count=$((count + 1))
	done
	echo "$count"
}

report_network() { # iface mac network mode ip prefix gateway default_gateway [lease]
	report --arg iface "$1" --arg mac "$2" --arg network "$3" --arg mode "$4" \
		--arg ip "$5" --arg prefix "$6" --arg gateway "$7" --argjson default_gateway "$8" \
		--arg lease "${9:-}" \
		'{event: "network", iface: $iface, mac: $mac, network: $network, mode: $mode,
		  ip: $ip, prefix: $prefix, gateway: $gateway, default_gateway: $default_gateway}
		 + (if $lease == "" then {} else {lease: ($lease == "true")} end)'
}

configure_static() { # iface mac network ip netmask gateway is_default
	if ! prefix=$(netmask_to_prefix "$5"); then
		report_error network "netmask $5 of network $3 is not a valid IPv4 netmask" \
			--arg network "$3" --arg iface "$1" '{network: $network, iface: $iface}'
		return
	fi
	ip link set "$1" up
	if ! err=$(ip addr add "$4/$prefix" dev "$1" 2>&1); then
		report_error network "ip addr add $4/$prefix dev $1: $err" \
			--arg network "$3" --arg iface "$1" '{network: $network, iface: $iface}'
		return
	fi
	default_gateway=false
	if [ "$7" = true ] && [ -n "$6" ]; then
		if err=$(ip route add default via "$6" dev "$1" 2>&1); then
			default_gateway=true
		else
			report_error network "ip route add default via $6 dev $1: $err" \
				--arg network "$3" --arg iface "$1" '{network: $network, iface: $iface}'
		fi
	fi
	report_network "$1" "$2" "$3" static "$4" "$prefix" "$6" "$default_gateway"
}

configure_dhcp() { # iface mac network is_default
	ip link set "$1" up
	rm -f "$STATE/dhcp.$1"
	BOSH_TEST_DEFAULT_ROUTE=$4 udhcpc -i "$1" -n -q -t 3 -T 1 \
		-s /lib/bosh-test/udhcpc.script >/dev/null 2>&1
	lease=false dhcp_ip='' dhcp_prefix='' dhcp_router=''
	if [ -s "$STATE/dhcp.$1" ]; then
		lease=true
		read -r dhcp_ip dhcp_prefix dhcp_router <"$STATE/dhcp.$1"
	fi
	default_gateway=false
	[ "$4" = true ] && [ -n "$dhcp_router" ] && default_gateway=true
	report_network "$1" "$2" "$3" dhcp "$dhcp_ip" "$dhcp_prefix" "$dhcp_router" "$default_gateway" "$lease"
}

: >"$STATE/claimed-nics"
if [ "$settings_valid" = true ]; then
	# One record per network, fields separated by \037 (so empty fields survive).
	jq -r '(.networks // {}) as $nets | ($nets | length) as $count
		| $nets | to_entries | sort_by(.key)[] | .key as $name | .value as $n
		| [$name, (($n.mac // "") | ascii_downcase), ($n.type // ""), ($n.ip // ""),
		   ($n.netmask // ""), ($n.gateway // ""),
		   (if $n.use_dhcp == true or $n.resolved == true or $n.type == "dynamic"
		       or ($n.ip // "") == "" or ($n.netmask // "") == "" then "dhcp" else "static" end),
		   (if $count == 1 or any(($n.default // [])[]; . == "gateway") then "true" else "false" end)]
		| join("\u001f")' "$STATE/settings.json" >"$STATE/networks"
	network_count=$(wc -l <"$STATE/networks")
	us=$(printf '\037')
	while IFS=$us read -r name mac type net_ip netmask gateway mode is_default; do
		if [ "$type" = vip ]; then
			report --arg network "$name" '{event: "network", network: $network, mode: "vip"}'
			continue
		fi
		iface=
		if [ -n "$mac" ]; then
			if ! iface=$(nic_for_mac "$mac"); then
				report_error network "no NIC has MAC $mac (network $name)" \
					--arg network "$name" --arg mac "$mac" '{network: $network, mac: $mac}'
				continue
			fi
		elif [ "$network_count" -eq 1 ] && [ "$(nic_count)" -eq 1 ]; then
			# The agent pairs a single MAC-less network with a single NIC.
			for path in /sys/class/net/*; do
				[ "${path##*/}" = lo ] || iface=${path##*/}
			done
			read -r mac <"/sys/class/net/$iface/address"
		else
			report --arg network "$name" \
				'{event: "network", network: $network, mode: "no_mac",
				  message: "network has no mac; the agent would use DHCP on an unmatched NIC"}'
			continue
		fi
		echo "$iface" >>"$STATE/claimed-nics"
		if [ "$mode" = static ]; then
			configure_static "$iface" "$mac" "$name" "$net_ip" "$netmask" "$gateway" "$is_default"
		else
			configure_dhcp "$iface" "$mac" "$name" "$is_default"
		fi
	done <"$STATE/networks"
fi

for path in /sys/class/net/*; do
	iface=${path##*/}
	[ "$iface" = lo ] && continue
	grep -qx "$iface" "$STATE/claimed-nics" && continue
	read -r mac <"$path/address"
	report --arg iface "$iface" --arg mac "$mac" \
		'{event: "network", iface: $iface, mac: $mac, network: null, mode: "unconfigured"}'
done

# --- disks ----------------------------------------------------------------------
disk_serial() { # name -> serial ("" if none)
	serial=
	[ -r "/sys/block/$1/serial" ] && read -r serial 2>/dev/null <"/sys/block/$1/serial"
	echo "$serial"
}

disk_size_bytes() {
	sectors=0
	read -r sectors 2>/dev/null <"/sys/block/$1/size"
	echo $((sectors * 512))
}

# Test-only data channel: the first time this boot sees a disk whose serial
# starts with "disk-" (a CPI persistent disk), it writes a marker at byte 0
# if the disk is blank, or reports the first line it finds there.
check_data_disk() { # name serial
	case $2 in disk-*) ;; *) return 0 ;; esac
	waited=0
	while [ ! -b "/dev/$1" ] && [ "$waited" -lt 20 ]; do
		sleep 0.1
		waited=$((waited + 1))
	done
	head_file=$STATE/head.$1
	if ! dd if="/dev/$1" of="$head_file" bs=512 count=1 2>/dev/null ||
		[ "$(wc -c <"$head_file")" -ne 512 ]; then
		report_error disk_data "cannot read the first 512 bytes of /dev/$1" \
			--arg name "$1" --arg serial "$2" '{name: $name, serial: $serial}'
		return 0
	fi
	if [ "$(tr -d '\000' <"$head_file" | wc -c)" -eq 0 ]; then
		marker="BOSH-TEST-DATA $2"
		if printf '%s\n' "$marker" | dd of="/dev/$1" bs=512 count=1 conv=notrunc,fsync 2>/dev/null; then
			sync
			report --arg name "$1" --arg serial "$2" --arg marker "$marker" \
				'{event: "disk_written", name: $name, serial: $serial, marker: $marker}'
		else
			report_error disk_data "cannot write the marker to /dev/$1" \
				--arg name "$1" --arg serial "$2" '{name: $name, serial: $serial}'
		fi
	else
		head_line=$(head -n 1 "$head_file" | tr -cd ' -~' | cut -c 1-200)
		report --arg name "$1" --arg serial "$2" --arg head "$head_line" \
			'{event: "disk_seen_data", name: $name, serial: $serial, head: $head}'
	fi
	rm -f "$head_file"
}

set --
for path in /sys/block/vd*; do
	[ -e "$path" ] || continue
	name=${path##*/}
	serial=$(disk_serial "$name")
	echo "$serial" >"$STATE/disks/$name"
	set -- "$@" "$name" "$serial" "$(disk_size_bytes "$name")"
done
report '{event: "disks", disks: [$ARGS.positional | _nwise(3) | select(length == 3) | {name: .[0], serial: .[1], size_bytes: (.[2] | tonumber)}]}' \
	--args "$@"
for path in "$STATE"/disks/*; do
	[ -e "$path" ] || continue
	read -r serial <"$path"
	check_data_disk "${path##*/}" "$serial"
done

read -r uptime _ </proc/uptime
report --arg uptime "$uptime" '{event: "ready", uptime: $uptime}'

# --- idle: watch /sys/block for hot-plug -----------------------------------------
disk_added() { # name serial
	echo "$2" >"$STATE/disks/$1"
	report --arg name "$1" --arg serial "$2" --argjson size "$(disk_size_bytes "$1")" \
		'{event: "disk_added", name: $name, serial: $serial, size_bytes: $size}'
	check_data_disk "$1" "$2"
}

disk_removed() { # name serial
	rm -f "$STATE/disks/$1"
	report --arg name "$1" --arg serial "$2" '{event: "disk_removed", name: $name, serial: $serial}'
}

while :; do
	for path in /sys/block/vd*; do
		[ -e "$path" ] || continue
		name=${path##*/}
		serial=
		[ -r "$path/serial" ] && read -r serial 2>/dev/null <"$path/serial"
		if [ -e "$STATE/disks/$name" ]; then
			read -r known <"$STATE/disks/$name"
			[ "$known" = "$serial" ] && continue
			# Same name, other disk: it was swapped between two polls.
			disk_removed "$name" "$known"
		fi
		disk_added "$name" "$serial"
	done
	for path in "$STATE"/disks/*; do
		[ -e "$path" ] || continue
		name=${path##*/}
		[ -e "/sys/block/$name" ] && continue
		read -r known <"$path"
		disk_removed "$name" "$known"
	done
	sleep 1
done
