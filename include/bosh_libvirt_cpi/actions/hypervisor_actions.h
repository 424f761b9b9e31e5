#pragma once

#include <span>
#include <string_view>

#include <nlohmann/json.hpp>

#include "bosh_libvirt_cpi/actions/action_table.h"
#include "bosh_libvirt_cpi/rpc/call.h"

// Actions that need libvirt; they live in the hypervisor module. One file per method under
// src/hypervisor/actions/, named as the wire method.
namespace cpi::actions {

using HypervisorAction = Action;

// Every method the module implements.
std::span<const HypervisorAction> HypervisorActions();

// The handler for a hypervisor method, or nullptr when this build does not implement it.
rpc::Handler FindHypervisorAction(std::string_view method);

}  // namespace cpi::actions
