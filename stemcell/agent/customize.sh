#!/bin/sh
# Runs inside the image root (chroot, with /proc and /dev mounted by mmdebstrap) after the Debian
# packages are installed. What the BOSH agent v2.505.0 expects of its machine; see ../README.md.
set -eu

# --- users and groups ------------------------------------------------------------------------
# syslog: the agent runs `chown root:syslog` on its log dir (Debian has no such group).
# admin, bosh_sshers, bosh_sudoers: `bosh ssh` users are put into these.
for g in syslog admin bosh_sshers bosh_sudoers; do
	getent group "$g" >/dev/null || groupadd --system "$g"
done
getent group vcap >/dev/null || groupadd --gid 1000 vcap
if ! getent passwd vcap >/dev/null; then
	useradd --create-home --uid 1000 --gid vcap --shell /bin/bash \
		--groups admin,adm,bosh_sshers,bosh_sudoers,cdrom,dialout vcap
fi
# Locked until the agent sets env.bosh.password.
usermod --lock vcap
usermod --lock root

# --- /var/vcap layout --------------------------------------------------------------------------
install -d -m 0755 /var/vcap /var/vcap/bosh /var/vcap/bosh/bin /var/vcap/bosh/etc \
	/var/vcap/bosh/log /var/vcap/micro_bosh /var/vcap/micro_bosh/data \
	/var/vcap/micro_bosh/data/cache
install -d -m 0700 /var/vcap/monit /var/vcap/monit/svlog
install -d -m 0755 /var/vcap/data /var/vcap/store /var/vcap/jobs /var/vcap/packages

# --- runit: a real /etc/service that runsvdir-bosh.service scans --------------------------------
# Debian's runit makes /etc/service a symlink into /etc/runit/runsvdir; the agent wants to create
# /etc/service/monit itself and start it with `sv`.
rm -rf /etc/service
mkdir -m 0755 /etc/service
ln -s /etc/sv/agent /etc/service/agent

# --- systemd units ----------------------------------------------------------------------------
systemctl enable systemd-networkd.service resolvconf.service runsvdir-bosh.service
# Wait-online would hold boot until every link is configured; the agent configures them later.
# The rest only cost CPU at boot (slow under TCG) and nothing here needs them.
systemctl mask systemd-networkd-wait-online.service systemd-firstboot.service \
	apt-daily.timer apt-daily-upgrade.timer e2scrub_all.timer e2scrub_reap.service \
	fstrim.timer getty@tty1.service
# runit's own boot integration (runit.service from runit-run, if ever installed) must not run a
# second runsvdir on /etc/runit/runsvdir.
systemctl mask runit.service

# --- identity, mounts, networking ---------------------------------------------------------------
# An empty machine-id: systemd makes a new one on each VM's first boot.
: >/etc/machine-id
rm -f /var/lib/dbus/machine-id
echo localhost >/etc/hostname
printf '127.0.0.1 localhost\n::1 localhost ip6-localhost ip6-loopback\n' >/etc/hosts
# The kernel mounts /dev/vda1 read-write (root=/dev/vda1 rw); the agent finds the root device in
# /proc/mounts and must see /dev/vda1 there to partition the rest of the root disk.
printf '/dev/vda1 / ext4 defaults,errors=remount-ro 0 0\n' >/etc/fstab
install -d -m 0755 /etc/systemd/network /etc/resolvconf/resolv.conf.d
# systemd-networkd: nothing configured until the agent writes its files.
rm -f /etc/systemd/network/*.network

# --- slim down ----------------------------------------------------------------------------------
# dpkg already skipped docs, man pages and locales (path-exclude); copyright files stay.
rm -rf /usr/share/lintian /var/cache/apt/* /var/lib/apt/lists/* /var/log/*.log /var/log/apt/* \
	/var/cache/debconf/*-old /var/lib/dpkg/*-old
