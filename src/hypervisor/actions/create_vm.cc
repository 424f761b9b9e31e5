#include <optional>

#include "bosh_libvirt_cpi/actions/vm_actions.h"
#include "bosh_libvirt_cpi/errors.h"
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
  // disk_cids (argument 5) are placement hints only; one host places everything alike.
  in.env = call.args.Json(5);

  std::optional<host::Host> host;
  try {
    host.emplace(host::Host::Open(call.Config()));
  } catch (...) {
    // libvirtd down or restarting: only a retryable VMCreationFailed makes the Director retry.
    vm::RethrowCreationFailure("", vm::CreationFailure::kBeforeChanges);
  }
  vm::CreatedVm created = vm::CreateVm(*host, in);
  if (call.V2()) return nlohmann::json::array({created.cid, created.networks});
  return created.cid;
}

}  // namespace cpi::actions
