#include <spdlog/spdlog.h>

#include "bosh_libvirt_cpi/actions/vm_actions.h"
#include "bosh_libvirt_cpi/vm/vm_service.h"

namespace cpi::actions {

// delete_vm(vm_cid): a missing VM is success (both callers also tolerate VMNotFound; the CLI
// calls delete_vm after has_vm said false "to clean up related resources", which we do).
nlohmann::json DeleteVm(const rpc::Call& call) {
  std::string vm_cid = call.args.String(0);
  host::OnHost(call.Config(), vm_cid, "Deleting VM " + Quote(vm_cid), [&](host::Host& host) {
    if (!vm::DeleteVm(host, vm_cid)) spdlog::info("VM '{}' did not exist", vm_cid);
  });
  return nullptr;
}

}  // namespace cpi::actions
