#include "bosh_libvirt_cpi/actions/disk_actions.h"
#include "bosh_libvirt_cpi/disk/disk_service.h"

namespace cpi::actions {

// attach_disk(vm_cid, disk_cid). v2: the hint {"path": "/dev/disk/by-id/virtio-<cid>"} (the
// same on a repeated call); v1: null. Whenever the Director will not hand the agent a hint (a v1
// call or a v1 stemcell, disk::DirectorPassesDiskHint) the VM's config drive is rebuilt with the
// disk in disks.persistent, where the agent then finds it.
nlohmann::json AttachDisk(const rpc::Call& call) {
  std::string vm_cid = call.args.String(0);
  std::string disk_cid = call.args.String(1);
  disk::ConfigDriveUpdate config_drive;
  config_drive.enabled =
      !disk::DirectorPassesDiskHint(call.request.api_version, call.request.stemcell_api_version);
  host::OnHost(call.Config(), "Attaching disk " + Quote(disk_cid) + " to VM " + Quote(vm_cid),
               [&](host::Host& host) { disk::AttachDisk(host, vm_cid, disk_cid, config_drive); });
  if (call.V2()) return disk::AttachHint(disk_cid);
  return nullptr;
}

}  // namespace cpi::actions
