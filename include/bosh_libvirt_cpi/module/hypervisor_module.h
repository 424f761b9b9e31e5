#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include <simdjson.h>
#include <nlohmann/json.hpp>

#include "bosh_libvirt_cpi/cleanup/cleanup.h"
#include "bosh_libvirt_cpi/config/config.h"
#include "bosh_libvirt_cpi/hosts/hosts.h"

namespace cpi::module {

// Bumped whenever the layout below changes, so that an executable never runs a module built from
// other sources.
inline constexpr int kAbiVersion = 4;

// One method call as it crosses into the hypervisor module: plain views of the request the
// executable parsed (valid for the call), whose arguments it has already checked against the
// method's row of its table (rpc/methods.h). The module turns them back into an rpc::Call for
// its action; the executable's side of this boundary knows nothing of the actions.
struct MethodCall {
  std::string_view method;
  simdjson::dom::array arguments;
  simdjson::dom::object context;
  int api_version;
  std::optional<int64_t> stemcell_api_version;
  std::string_view request_id;
  const config::Config* config;  // with the request's cpi-config overlay; never null
};

// The entry points of the hypervisor module (libbosh-libvirt-cpi-hypervisor.so): every method
// that needs libvirt runs through `call`; the operator's `cleanup` command through `cleanup`
// (cleanup::Run); `hosts` through `hosts` (hosts::Inspect). Exceptions (cpi::Error) cross the
// boundary; the executable and the module share one libstdc++.
struct HypervisorModule {
  int abi_version;
  nlohmann::json (*call)(const MethodCall& call);
  cleanup::Report (*cleanup)(const config::Config& config, const cleanup::Options& options);
  // The operator's `hosts` command (hosts::Inspect over virt::Connect).
  std::vector<hosts::Status> (*hosts)(const config::Config& config);
};

// Returns the module, loading it on first use from beside the executable (or
// ../lib/bosh-libvirt-cpi/, or $BOSH_LIBVIRT_CPI_MODULE). When the module's code is linked into
// the running program (the test binary), that copy is used and nothing is loaded. Throws
// cpi::Error (CpiError) when the module cannot be loaded.
const HypervisorModule& Hypervisor();

}  // namespace cpi::module

// Defined by the module.
extern "C" const cpi::module::HypervisorModule* bosh_libvirt_cpi_hypervisor_module();
