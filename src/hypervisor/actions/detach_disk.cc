#include "bosh_libvirt_cpi/actions/disk_actions.h"
#include "bosh_libvirt_cpi/disk/disk_service.h"

namespace cpi::actions {

// detach_disk(vm_cid, disk_cid): removed from the definition and unplugged from the running
// guest, confirmed by re-reading the live XML (bounded, see disk::DetachOptions). Not attached:
// DiskNotAttached; missing VM: CloudError. Where attach_disk rebuilt the config drive (no hint
// from the Director, disk::DirectorPassesDiskHint) it is rebuilt again without the disk.
nlohmann::json DetachDisk(const rpc::Call& call) {
  std::string vm_cid = call.args.String(0);
  std::string disk_cid = call.args.String(1);
  auto config_drive = disk::ConfigDriveUpdate::ForRequest(call.request.api_version,
                                                          call.request.stemcell_api_version);
  host::OnHost(call.Config(), vm_cid,
               "Detaching disk " + Quote(disk_cid) + " from VM " + Quote(vm_cid),
               [&](host::Host& host) {
                 disk::DetachDisk(host, vm_cid, disk_cid, disk::DetachOptions{}, config_drive);
               });
  return nullptr;
}

}  // namespace cpi::actions
