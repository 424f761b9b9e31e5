#include "bosh_libvirt_cpi/actions/disk_actions.h"
#include "bosh_libvirt_cpi/disk/disk_service.h"

namespace cpi::actions {

// set_disk_metadata(disk_cid, metadata): kept as JSON in the sidecar volume "<disk_cid>-meta"
// beside the disk (replaced on each call), so it survives detach and VM deletion and an operator
// can read it with `virsh vol-download`. A missing disk is DiskNotFound.
nlohmann::json SetDiskMetadata(const rpc::Call& call) {
  std::string cid = call.args.String(0);
  nlohmann::json metadata = call.args.Json(1);
  host::OnHost(call.Config(), cid, "Setting metadata of disk " + Quote(cid),
               [&](host::Host& host) { disk::SetDiskMetadata(host, cid, metadata); });
  return nullptr;
}

}  // namespace cpi::actions
