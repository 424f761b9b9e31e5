#include "bosh_libvirt_cpi/actions/vm_actions.h"
#include "bosh_libvirt_cpi/vm/vm_service.h"

namespace cpi::actions {

// reboot_vm(vm_cid): missing VM is a CloudError (as the OpenStack CPI answers).
nlohmann::json RebootVm(const rpc::Call& call) {
  std::string vm_cid = call.args.String(0);
  host::Host host = host::Host::Open(call.Config());
  try {
    vm::RebootVm(host, vm_cid);
  } catch (const Error& e) {
    if (e.type() == ErrorType::kVmNotFound) {
      throw CloudError("Rebooting VM " + Quote(vm_cid) + ": " + e.what());
    }
    host::RethrowWithStep("Rebooting VM " + Quote(vm_cid));
  } catch (...) {
    host::RethrowWithStep("Rebooting VM " + Quote(vm_cid));
  }
  return nullptr;
}

}  // namespace cpi::actions
