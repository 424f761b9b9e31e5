#include <spdlog/spdlog.h>

#include "bosh_libvirt_cpi/actions/disk_actions.h"
#include "bosh_libvirt_cpi/disk/disk_service.h"

namespace cpi::actions {

// delete_disk(disk_cid): a missing disk is success (callers also tolerate DiskNotFound; OSCPI
// skips too), so orphan cleanup and delete-env can repeat it. A disk any domain still uses is
// never deleted: CloudError naming the VM.
nlohmann::json DeleteDisk(const rpc::Call& call) {
  std::string cid = call.args.String(0);
  host::OnHost(call.Config(), cid, "Deleting disk " + Quote(cid), [&](host::Host& host) {
    if (!disk::DeleteDisk(host, cid)) spdlog::info("disk '{}' did not exist", cid);
  });
  return nullptr;
}

}  // namespace cpi::actions
