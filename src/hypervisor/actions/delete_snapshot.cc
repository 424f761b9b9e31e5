#include <spdlog/spdlog.h>

#include "bosh_libvirt_cpi/actions/disk_actions.h"
#include "bosh_libvirt_cpi/disk/disk_service.h"

namespace cpi::actions {

// delete_snapshot(snapshot_cid): a missing snapshot is success (the Director also tolerates
// DiskNotFound), so orphan cleanup can repeat it.
nlohmann::json DeleteSnapshot(const rpc::Call& call) {
  std::string cid = call.args.String(0);
  host::OnHost(call.Config(), cid, "Deleting snapshot " + Quote(cid), [&](host::Host& host) {
    if (!disk::DeleteSnapshot(host, cid)) spdlog::info("snapshot '{}' did not exist", cid);
  });
  return nullptr;
}

}  // namespace cpi::actions
