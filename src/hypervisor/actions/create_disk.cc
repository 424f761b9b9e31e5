#include <spdlog/spdlog.h>

#include "bosh_libvirt_cpi/actions/disk_actions.h"
#include "bosh_libvirt_cpi/disk/disk_service.h"

namespace cpi::actions {

// create_disk(size_mib, cloud_properties, vm_cid): a blank volume in the configured pool. The
// VM is a placement hint only: with one pool per host every disk lands in the same place, so it
// is logged and otherwise ignored (also when no such VM exists).
nlohmann::json CreateDisk(const rpc::Call& call) {
  int64_t size_mib = call.args.Integer(0);
  nlohmann::json cloud_properties = call.args.Json(1);
  std::string vm_cid = call.args.IsNull(2) ? "" : call.args.String(2);
  std::string step = "Creating disk of " + std::to_string(size_mib) + " MiB";
  disk::DiskProperties props = disk::CheckDiskRequest(size_mib, cloud_properties, step);
  if (!vm_cid.empty()) spdlog::info("placement hint VM '{}': one pool per host, ignored", vm_cid);

  return host::OnHost(call.Config(), step,
                      [&](host::Host& host) { return disk::CreateDisk(host, size_mib, props); });
}

}  // namespace cpi::actions
