#pragma once

#include <span>
#include <string_view>

#include <nlohmann/json.hpp>

#include "bosh_libvirt_cpi/actions/action_table.h"
#include "bosh_libvirt_cpi/rpc/call.h"

// Actions that run in the executable without the hypervisor module.
namespace cpi::actions {

// Every method the executable runs itself.
std::span<const Action> CoreActions();

// The handler for a core method, or nullptr.
rpc::Handler FindCoreAction(std::string_view method);

nlohmann::json Info(const rpc::Call& call);
nlohmann::json CalculateVmCloudProperties(const rpc::Call& call);
nlohmann::json ConfigureNetworks(const rpc::Call& call);

}  // namespace cpi::actions
