#include "bosh_libvirt_cpi/actions/disk_actions.h"
#include "bosh_libvirt_cpi/disk/disk_service.h"

namespace cpi::actions {

// has_disk(disk_cid): unknown and malformed CIDs are false, not errors.
nlohmann::json HasDisk(const rpc::Call& call) {
  std::string cid = call.args.String(0);
  host::Host host = host::Host::Open(call.Config());
  try {
    return disk::HasDisk(host, cid);
  } catch (...) {
    host::RethrowWithStep("Checking whether disk " + Quote(cid) + " exists");
  }
}

}  // namespace cpi::actions
