#include "bosh_libvirt_cpi/actions/disk_actions.h"
#include "bosh_libvirt_cpi/disk/disk_service.h"

namespace cpi::actions {

// get_disks(vm_cid): the persistent disks of the VM (never root, ephemeral or config drive);
// a missing VM is a CloudError "VM '<cid>' not found".
nlohmann::json GetDisks(const rpc::Call& call) {
  std::string vm_cid = call.args.String(0);
  return host::OnHost(call.Config(), vm_cid, "Listing disks of VM " + Quote(vm_cid),
                      [&](host::Host& host) { return disk::GetDisks(host, vm_cid); });
}

}  // namespace cpi::actions
