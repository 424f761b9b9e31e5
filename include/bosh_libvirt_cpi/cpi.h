#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "bosh_libvirt_cpi/cleanup/cleanup.h"
#include "bosh_libvirt_cpi/hosts/hosts.h"
#include "bosh_libvirt_cpi/rpc/call.h"
#include "bosh_libvirt_cpi/rpc/methods.h"

// The CPI put together: the top of the layers (docs/ARCHITECTURE.md §1). The protocol (rpc/),
// the actions and the hypervisor module's boundary (module/) do not know one another; this is
// where a valid request meets the code that runs it. main.cc, the tests and the request fuzzer
// hand RunMethod to rpc::Handle (rpc::Options::run).
namespace cpi {

// Runs a call whose request is valid where its table row says: the executable's own actions
// (actions/core_actions.h) here, every other method in the hypervisor module
// (module/hypervisor_module.h), which is loaded on first use.
nlohmann::json RunMethod(const rpc::Method& method, const rpc::Call& call);

// The operator's `cleanup` command as the executable runs it: reads the configuration file
// (built-in defaults without one), loads the hypervisor module and calls cleanup::Run there.
// Throws cpi::Error.
cleanup::Report RunCleanup(const std::optional<std::string>& config_path,
                           const cleanup::Options& options);

// The operator's `hosts` command: reads the configuration file (built-in defaults without one),
// loads the hypervisor module and asks every host there (hosts::Inspect). Throws cpi::Error.
std::vector<hosts::Status> RunHosts(const std::optional<std::string>& config_path);

}  // namespace cpi
