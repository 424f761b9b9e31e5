#include <optional>

#include "bosh_libvirt_cpi/actions/vm_actions.h"
#include "bosh_libvirt_cpi/errors.h"
#include "bosh_libvirt_cpi/host/placement.h"
#include "bosh_libvirt_cpi/vm/vm_properties.h"
#include "bosh_libvirt_cpi/vm/vm_service.h"

namespace cpi::actions {

// create_vm(agent_id, stemcell_cid, cloud_properties, networks, disk_cids, env)
// v2: [vm_cid, networks as used]; v1: vm_cid.
nlohmann::json CreateVm(const rpc::Call& call) {
  vm::CreateVmInput in;
  in.agent_id = call.args.String(0);
  in.stemcell_cid = call.args.String(1);
  in.cloud_properties = call.args.Json(2);
  in.networks = call.args.Json(3);
  in.env = call.args.Json(5);

  host::Placement placement;
  try {
    // Bad cloud_properties are reported by CreateVm itself, with the rest of the input checks.
    vm::VmProperties props = vm::ParseVmProperties(in.cloud_properties);
    host::PlacementRequest request{props.host, props.az, {}, props.memory_mib};
    // disk_cids (argument 4): the VM goes to the host of its persistent disks.
    for (const nlohmann::json& cid :
         call.args.IsNull(4) ? nlohmann::json::array() : call.args.Json(4)) {
      if (!cid.is_string()) throw CpiError("disk_cids must be strings, got " + cid.dump());
      request.disk_cids.push_back(cid.get<std::string>());
    }
    placement = host::Place(call.Config(), request);
  } catch (...) {
    // libvirtd down or restarting: only a retryable VMCreationFailed makes the Director retry.
    vm::RethrowCreationFailure("", vm::CreationFailure::kBeforeChanges);
  }
  vm::CreatedVm created = vm::CreateVm(*placement.host, in);
  if (call.V2()) return nlohmann::json::array({created.cid, created.networks});
  return created.cid;
}

}  // namespace cpi::actions
