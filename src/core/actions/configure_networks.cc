#include "bosh_libvirt_cpi/actions/core_actions.h"
#include "bosh_libvirt_cpi/errors.h"

namespace cpi::actions {

// Deprecated v1 method; the contract recommends NotSupported so that the Director recreates the
// VM with the new networks instead.
nlohmann::json ConfigureNetworks(const rpc::Call& call) {
  throw NotSupported("Configuring networks of VM " + Quote(call.args.String(0)) +
                     ": changing networks of an existing VM is not supported; the VM must be "
                     "recreated");
}

}  // namespace cpi::actions
