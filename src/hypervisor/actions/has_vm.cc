#include "bosh_libvirt_cpi/actions/vm_actions.h"
#include "bosh_libvirt_cpi/vm/vm_service.h"

namespace cpi::actions {

// has_vm(vm_cid): a defined domain counts, running or not; unknown CIDs are false, not errors.
nlohmann::json HasVm(const rpc::Call& call) {
  std::string vm_cid = call.args.String(0);
  return host::OnHost(call.Config(), vm_cid, "Checking whether VM " + Quote(vm_cid) + " exists",
                      [&](host::Host& host) { return vm::FindVm(host, vm_cid) != nullptr; });
}

}  // namespace cpi::actions
