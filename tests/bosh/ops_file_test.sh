#!/usr/bin/env bash
# manifests/libvirt/cpi.yml applies to bosh-deployment's upstream bosh.yml with the documented
# variables (README.md, "Use with BOSH") and nothing else (`bosh interpolate --var-errs
# --var-errs-unused`), and yields what a libvirt Director needs: our release, the stemcell, the
# CPI job beside the Director with director.cpi_job pointing at it, cloud_provider.template, and
# our libvirt.* properties for both the Director's job and create-env's cloud_provider; every
# libvirt.* key it sets is a property of the job's spec. Also checks manifests/libvirt/tcg.yml
# and manifests/libvirt/cloud-config.yml. Needs the BOSH CLI and ../shared/bosh-deployment
# (tests/bosh/release_lib.sh); no libvirt.
set -euo pipefail
test_name=ops-file
source "$(dirname "$0")/release_lib.sh"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
bosh=$(bosh_cli)

interpolate_director "$work/creds.yml" >"$work/bosh.yml" ||
  fail "bosh interpolate bosh.yml -o manifests/libvirt/cpi.yml failed (see above)"

# expect PATH VALUE: the interpolated manifest has VALUE at PATH.
expect() {
  local got
  got=$("$bosh" interpolate "$work/bosh.yml" --path "$1" 2>&1) || fail "$1: not in the manifest: $got"
  [ "$got" = "$2" ] || fail "$1 is '$got', expected '$2'"
}

expect /releases/name=bosh-libvirt-cpi/url file:///releases/bosh-libvirt-cpi-0.1.0.tgz
expect /resource_pools/name=vms/stemcell/url \
  file:///stemcells/bosh-stemcell-0.1-openstack-kvm-debian-bookworm-go_agent.tgz
expect /resource_pools/name=vms/cloud_properties/cpu 2
expect /resource_pools/name=vms/cloud_properties/memory 4096
expect /resource_pools/name=vms/cloud_properties/ephemeral_disk/size 16384
expect /networks/name=default/subnets/0/cloud_properties/network bosh-net

expect /instance_groups/name=bosh/jobs/name=libvirt_cpi/release bosh-libvirt-cpi
expect /instance_groups/name=bosh/properties/director/cpi_job libvirt_cpi
expect /instance_groups/name=bosh/properties/libvirt/uri qemu+tls://192.168.122.1/system
expect /instance_groups/name=bosh/properties/libvirt/storage_pool bosh-pool
expect /instance_groups/name=bosh/properties/libvirt/network bosh-net
expect /instance_groups/name=bosh/properties/libvirt/domain_type auto
# What bosh.yml already gives every CPI job on the Director, which ours reads (agent mbus and the
# agents' dav blobstore): still there, untouched.
expect /instance_groups/name=bosh/properties/agent/mbus nats://10.0.0.6:4222
expect /instance_groups/name=bosh/properties/blobstore/provider dav

expect /cloud_provider/template/name libvirt_cpi
expect /cloud_provider/template/release bosh-libvirt-cpi
expect /cloud_provider/properties/libvirt/uri qemu:///system
expect /cloud_provider/properties/libvirt/storage_pool bosh-pool
expect /cloud_provider/properties/libvirt/network bosh-net
expect /cloud_provider/properties/blobstore/provider local
expect /cloud_provider/properties/blobstore/path /var/vcap/micro_bosh/data/cache
expect /cloud_provider/properties/agent/mbus \
  "https://mbus:$("$bosh" interpolate "$work/creds.yml" --path /mbus_bootstrap_password)@0.0.0.0:6868"

# Only one CPI job and one release of ours.
[ "$(grep -c 'name: libvirt_cpi$' "$work/bosh.yml")" -ge 1 ] || fail "no libvirt_cpi job"
[ "$("$bosh" interpolate "$work/bosh.yml" --path /instance_groups/name=bosh/jobs | grep -c 'name: libvirt_cpi')" = 1 ] ||
  fail "the Director's instance group must have exactly one libvirt_cpi job"

# Every libvirt.* key the ops file sets is declared by the job (an undeclared one would be
# silently ignored when the templates are rendered).
spec=$repo/release/jobs/libvirt_cpi/spec
for section in /instance_groups/name=bosh/properties/libvirt /cloud_provider/properties/libvirt; do
  for key in $("$bosh" interpolate "$work/bosh.yml" --path "$section" | sed -n 's/^\([a-z_]*\):.*/\1/p'); do
    "$bosh" interpolate "$spec" --path "/properties/libvirt.$key" >/dev/null 2>&1 ||
      fail "$section/$key is not a property of $spec"
  done
done

# tcg.yml: domain_type qemu in both places.
interpolate_director "$work/creds.yml" -o "$repo/manifests/libvirt/tcg.yml" >"$work/tcg.yml" ||
  fail "cpi.yml + tcg.yml failed to interpolate"
for path in /instance_groups/name=bosh/properties/libvirt/domain_type \
  /cloud_provider/properties/libvirt/domain_type; do
  [ "$("$bosh" interpolate "$work/tcg.yml" --path "$path")" = qemu ] || fail "tcg.yml: $path is not qemu"
done

# director-ssh.yml and director-tls.yml (README.md, "Reaching libvirtd from a Director"): the
# Director's job gets libvirt.ssh.* / libvirt.tls.* from their variables (the ssh key generated
# by the vars store), every key a property of the job's spec; create-env's CPI is untouched.
interpolate_director "$work/creds.yml" -o "$repo/manifests/libvirt/director-ssh.yml" \
  -v director_libvirt_uri=qemu+ssh://bosh@192.168.122.1/system \
  -v libvirt_ssh_known_hosts="192.168.122.1 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAtest" \
  -o "$repo/manifests/libvirt/director-tls.yml" -v libvirt_tls_ca_cert=CA \
  -v libvirt_tls_client_cert=CERT -v libvirt_tls_client_key=KEY >"$work/remote.yml" ||
  fail "cpi.yml + director-ssh.yml + director-tls.yml failed to interpolate"
remote() { "$bosh" interpolate "$work/remote.yml" --path "/instance_groups/name=bosh/properties/libvirt/$1"; }
[ "$(remote ssh/private_key | head -n1)" = "$("$bosh" interpolate "$work/creds.yml" --path /libvirt_ssh/private_key | head -n1)" ] ||
  fail "director-ssh.yml: libvirt.ssh.private_key is not the vars store's libvirt_ssh key"
grep -q 'PRIVATE KEY' <<<"$(remote ssh/private_key)" || fail "director-ssh.yml: no generated private key"
[ "$(remote ssh/known_hosts)" = "192.168.122.1 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAtest" ] ||
  fail "director-ssh.yml: libvirt.ssh.known_hosts"
[ "$(remote tls/client_key)" = KEY ] || fail "director-tls.yml: libvirt.tls.client_key"
for section in ssh tls; do
  for key in $(remote "$section" | sed -n 's/^\([a-z_]*\):.*/\1/p'); do
    "$bosh" interpolate "$spec" --path "/properties/libvirt.$section.$key" >/dev/null 2>&1 ||
      fail "libvirt/$section/$key is not a property of $spec"
  done
done
! "$bosh" interpolate "$work/remote.yml" --path /cloud_provider/properties/libvirt/ssh >/dev/null 2>&1 ||
  fail "director-ssh.yml touched create-env's cloud_provider"

# The ops file without one of its variables is an error (--var-errs), e.g. the storage pool.
without_pool=()
for ((i = 0; i < ${#director_vars[@]}; i += 2)); do
  [ "${director_vars[i + 1]}" = libvirt_storage_pool=bosh-pool ] ||
    without_pool+=("${director_vars[i]}" "${director_vars[i + 1]}")
done
if "$bosh" interpolate "$(bosh_deployment)/bosh.yml" -o "$repo/manifests/libvirt/cpi.yml" \
  --vars-store "$work/creds.yml" "${without_pool[@]}" --var-errs >/dev/null 2>"$work/err"; then
  fail "interpolation without libvirt_storage_pool succeeded"
fi
grep -q -- '- libvirt_storage_pool$' "$work/err" || fail "the missing variable is not named: $(cat "$work/err")"

# The cloud config: its documented variables and nothing else; the manual network on the libvirt
# network, and every vm_type's cloud_properties only in keys the CPI reads.
"$bosh" interpolate "$repo/manifests/libvirt/cloud-config.yml" -v internal_cidr=10.0.0.0/24 \
  -v internal_gw=10.0.0.1 -v reserved_range=10.0.0.1-10.0.0.10 -v libvirt_network=bosh-net \
  --var-errs --var-errs-unused >"$work/cloud-config.yml" || fail "cloud-config.yml failed to interpolate"
cc() { "$bosh" interpolate "$work/cloud-config.yml" --path "$1"; }
[ "$(cc /networks/name=default/type)" = manual ] || fail "network default is not manual"
[ "$(cc /networks/name=default/subnets/0/cloud_properties/network)" = bosh-net ] ||
  fail "the manual network is not on the libvirt network"
[ "$(cc /compilation/network)" = default ] || fail "compilation does not use network default"
for vm_type in $(cc /vm_types | sed -n 's/^  name: //p; s/^- name: //p'); do
  for key in $(cc "/vm_types/name=$vm_type/cloud_properties" | sed -n 's/^\([a-z_]*\):.*/\1/p'); do
    case $key in cpu | memory | ephemeral_disk | root_disk) ;;
    *) fail "vm_type $vm_type: cloud_properties.$key is not a key the CPI reads" ;;
    esac
  done
done
say "ok: cpi.yml, tcg.yml and cloud-config.yml"
