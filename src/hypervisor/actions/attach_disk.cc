#include "bosh_libvirt_cpi/actions/disk_actions.h"
#include "bosh_libvirt_cpi/disk/disk_service.h"
#include "bosh_libvirt_cpi/errors.h"

namespace cpi::actions {

// attach_disk(vm_cid, disk_cid). v2: the hint {"path": "/dev/disk/by-id/virtio-<cid>"} (the
// same on a repeated call); v1: null. Whenever the Director will not hand the agent a hint (a v1
// call or a v1 stemcell, disk::DirectorPassesDiskHint) the VM's config drive is rebuilt with the
// disk in disks.persistent, where the agent then finds it.
nlohmann::json AttachDisk(const rpc::Call& call) {
  std::string vm_cid = call.args.String(0);
  std::string disk_cid = call.args.String(1);
  auto config_drive = disk::ConfigDriveUpdate::ForRequest(call.request.api_version,
                                                          call.request.stemcell_api_version);
  std::string step = "Attaching disk " + Quote(disk_cid) + " to VM " + Quote(vm_cid);
  const config::Config& config = call.Config();
  const config::HostConfig& vm_host = host::HostOf(config, vm_cid);
  const config::HostConfig& disk_host = host::HostOf(config, disk_cid);
  // A disk on another host is attachable only when both pools are one shared storage, where the
  // VM's host sees the disk's volume in its own pool (docs/MULTIHOST.md, "Shared pools").
  if (&vm_host != &disk_host && !(vm_host.shared && disk_host.shared)) {
    throw CloudError(step + ": disk " + Quote(disk_cid) + " is on host " + Quote(disk_host.name) +
                     ", VM " + Quote(vm_cid) + " on host " + Quote(vm_host.name) +
                     "; a VM can only attach disks of its own host unless both hosts' pools are "
                     "shared (hosts[].shared)");
  }
  host::OnHost(config, vm_cid, step, [&](host::Host& host) {
    // The disk was made through the other host: this one lists it after a refresh.
    if (&vm_host != &disk_host) host.Pool().Refresh();
    disk::AttachDisk(host, vm_cid, disk_cid, config_drive);
  });
  if (call.V2()) return disk::AttachHint(disk_cid);
  return nullptr;
}

}  // namespace cpi::actions
