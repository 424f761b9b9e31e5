#include "bosh_libvirt_cpi/actions/disk_actions.h"
#include "bosh_libvirt_cpi/disk/disk_service.h"

namespace cpi::actions {

// snapshot_disk(disk_cid, metadata) → "snap-<uuid>": a crash-consistent copy (a backup job for
// a disk in a running VM, a volume clone otherwise); the origin and metadata are kept in the
// sidecar "<snap>-meta". A missing disk is DiskNotFound.
nlohmann::json SnapshotDisk(const rpc::Call& call) {
  std::string cid = call.args.String(0);
  nlohmann::json metadata = call.args.IsNull(1) ? nlohmann::json::object() : call.args.Json(1);
  return host::OnHost(call.Config(), cid, "Snapshotting disk " + Quote(cid),
                      [&](host::Host& host) { return disk::SnapshotDisk(host, cid, metadata); });
}

}  // namespace cpi::actions
