#include "bosh_libvirt_cpi/actions/vm_actions.h"
#include "bosh_libvirt_cpi/vm/vm_service.h"

namespace cpi::actions {

// set_vm_metadata(vm_cid, metadata): every key in the domain's <metadata>, name in <title>.
nlohmann::json SetVmMetadata(const rpc::Call& call) {
  std::string vm_cid = call.args.String(0);
  nlohmann::json metadata = call.args.Json(1);
  host::OnHost(call.Config(), vm_cid, "Setting metadata of VM " + Quote(vm_cid),
               [&](host::Host& host) { vm::SetVmMetadata(host, vm_cid, metadata); });
  return nullptr;
}

}  // namespace cpi::actions
