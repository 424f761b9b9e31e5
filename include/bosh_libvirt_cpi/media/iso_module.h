#pragma once

#include <string>
#include <string_view>

#include "bosh_libvirt_cpi/agent/config_drive.h"

// The ISO module (libbosh-libvirt-cpi-iso.so): building and reading config drives with libisofs.
// The hypervisor module loads it only for the calls that need it — create_vm, an API v1
// attach/detach — so that no other method maps libisofs and its dependencies, and
// create_stemcell, which needs the archive module instead, does not map both (BENCHMARKS.md,
// peak RSS). agent::BuildConfigDriveIso and disk::ReadConfigDriveIso forward to it.
namespace cpi::media {

// Bumped whenever this table or the types it passes change.
inline constexpr int kIsoAbiVersion = 1;

struct IsoModule {
  int abi_version;
  std::string (*write_config_drive)(const agent::ConfigDriveFiles& files);
  agent::ConfigDriveFiles (*read_config_drive)(std::string_view iso);
};

// The module, loaded on first use from beside the hypervisor module's executable (or
// ../lib/bosh-libvirt-cpi/, or $BOSH_LIBVIRT_CPI_ISO_MODULE); the linked-in copy when the running
// program contains it (the test binary, the diagnose tool). Throws cpi::Error.
const IsoModule& Iso();

}  // namespace cpi::media

// Defined by the ISO module.
extern "C" const cpi::media::IsoModule* bosh_libvirt_cpi_iso_module();
