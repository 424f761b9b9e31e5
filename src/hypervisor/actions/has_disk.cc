#include "bosh_libvirt_cpi/actions/disk_actions.h"
#include "bosh_libvirt_cpi/disk/disk_service.h"

namespace cpi::actions {

// has_disk(disk_cid): unknown and malformed CIDs are false, not errors.
nlohmann::json HasDisk(const rpc::Call& call) {
  std::string cid = call.args.String(0);
  return host::OnHost(call.Config(), cid, "Checking whether disk " + Quote(cid) + " exists",
                      [&](host::Host& host) { return disk::HasDisk(host, cid); });
}

}  // namespace cpi::actions
