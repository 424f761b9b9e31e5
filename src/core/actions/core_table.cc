#include "bosh_libvirt_cpi/actions/core_actions.h"

namespace cpi::actions {
namespace {

// The methods the executable runs itself (rpc/methods.h rows with Where::kCore).
constexpr Action kActions[] = {
    {"info", &Info},
    {"configure_networks", &ConfigureNetworks},
    {"calculate_vm_cloud_properties", &CalculateVmCloudProperties},
};

}  // namespace

std::span<const Action> CoreActions() { return kActions; }

rpc::Handler FindCoreAction(std::string_view method) { return FindAction(kActions, method); }

}  // namespace cpi::actions
