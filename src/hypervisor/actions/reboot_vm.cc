#include "bosh_libvirt_cpi/actions/vm_actions.h"
#include "bosh_libvirt_cpi/vm/vm_service.h"

namespace cpi::actions {

// reboot_vm(vm_cid): missing VM is a CloudError (as the OpenStack CPI answers).
nlohmann::json RebootVm(const rpc::Call& call) {
  std::string vm_cid = call.args.String(0);
  std::string step = "Rebooting VM " + Quote(vm_cid);
  host::OnHost(call.Config(), vm_cid, step, [&](host::Host& host) {
    try {
      vm::RebootVm(host, vm_cid);
    } catch (const Error& e) {
      if (e.type() == ErrorType::kVmNotFound) throw CloudError(e.what());
      throw;
    }
  });
  return nullptr;
}

}  // namespace cpi::actions
