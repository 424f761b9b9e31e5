#include "bosh_libvirt_cpi/actions/disk_actions.h"
#include "bosh_libvirt_cpi/disk/disk_service.h"

namespace cpi::actions {

// update_disk(disk_cid, new_size_mib, cloud_properties): growth in the same format happens in
// place and answers null (the disk keeps its CID); a format change or a shrink is NotSupported,
// which makes the Director fall back to a new disk plus data migration.
nlohmann::json UpdateDisk(const rpc::Call& call) {
  std::string cid = call.args.String(0);
  int64_t size_mib = call.args.Integer(1);
  nlohmann::json cloud_properties = call.args.Json(2);
  std::string step = "Updating disk " + Quote(cid);
  disk::DiskProperties props = disk::CheckDiskRequest(size_mib, cloud_properties, step);
  host::OnHost(call.Config(), cid, step,
               [&](host::Host& host) { disk::UpdateDisk(host, cid, size_mib, props); });
  return nullptr;
}

}  // namespace cpi::actions
