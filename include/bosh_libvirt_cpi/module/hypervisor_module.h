#pragma once

#include <string_view>

#include "bosh_libvirt_cpi/cleanup/cleanup.h"
#include "bosh_libvirt_cpi/config/config.h"
#include "bosh_libvirt_cpi/rpc/call.h"

namespace cpi::module {

// Bumped whenever the layout below or the Call/Request types change, so that an executable never
// runs a module built from other sources.
inline constexpr int kAbiVersion = 2;

// The entry points of the hypervisor module (libbosh-libvirt-cpi-hypervisor.so): every method
// that needs libvirt runs through `call`; the operator's `cleanup` command through `cleanup`
// (cleanup::Run). Exceptions (cpi::Error) cross the boundary; the executable and the module share
// one libstdc++.
struct HypervisorModule {
  int abi_version;
  nlohmann::json (*call)(const rpc::Call& call);
  cleanup::Report (*cleanup)(const config::Config& config, const cleanup::Options& options);
};

// Returns the module, loading it on first use from beside the executable (or
// ../lib/bosh-libvirt-cpi/, or $BOSH_LIBVIRT_CPI_MODULE). When the module's code is linked into
// the running program (the test binary), that copy is used and nothing is loaded. Throws
// cpi::Error (CpiError) when the module cannot be loaded.
const HypervisorModule& Hypervisor();

}  // namespace cpi::module

// Defined by the module.
extern "C" const cpi::module::HypervisorModule* bosh_libvirt_cpi_hypervisor_module();
