#pragma once

#include <nlohmann/json.hpp>

#include "bosh_libvirt_cpi/rpc/call.h"

// Actions that run in the executable without the hypervisor module.
namespace cpi::actions {

nlohmann::json Info(const rpc::Call& call);
nlohmann::json CalculateVmCloudProperties(const rpc::Call& call);
nlohmann::json ConfigureNetworks(const rpc::Call& call);

}  // namespace cpi::actions
