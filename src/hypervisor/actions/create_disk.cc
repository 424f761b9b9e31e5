#include "bosh_libvirt_cpi/actions/disk_actions.h"
#include "bosh_libvirt_cpi/disk/disk_service.h"

namespace cpi::actions {

// create_disk(size_mib, cloud_properties, vm_cid): a blank volume in the pool of the VM's host
// (vm_locality: the host key in the VM's CID says which, docs/MULTIHOST.md); without a VM, in the
// first host's pool. The VM itself need not exist.
nlohmann::json CreateDisk(const rpc::Call& call) {
  int64_t size_mib = call.args.Integer(0);
  nlohmann::json cloud_properties = call.args.Json(1);
  std::string vm_cid = call.args.IsNull(2) ? "" : call.args.String(2);
  std::string step = "Creating disk of " + std::to_string(size_mib) + " MiB";
  disk::DiskProperties props = disk::CheckDiskRequest(size_mib, cloud_properties, step);
  return host::OnHost(call.Config(), vm_cid, step,
                      [&](host::Host& host) { return disk::CreateDisk(host, size_mib, props); });
}

}  // namespace cpi::actions
