#include "bosh_libvirt_cpi/actions/core_actions.h"

namespace cpi::actions {

// Static on purpose: `bosh create-env` calls info before every method, so it must not depend on
// the hypervisor, the configuration or the request context.
nlohmann::json Info(const rpc::Call&) {
  return {{"api_version", 2}, {"stemcell_formats", {"openstack-qcow2", "openstack-raw"}}};
}

}  // namespace cpi::actions
