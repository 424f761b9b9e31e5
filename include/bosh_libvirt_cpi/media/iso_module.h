#pragma once

#include <string>
#include <string_view>

// The ISO module (libbosh-libvirt-cpi-iso.so): building and reading config drives with libisofs.
// The hypervisor module loads it only for the calls that need it — create_vm, an API v1
// attach/detach — so that no other method maps libisofs and its dependencies, and
// create_stemcell, which needs the archive module instead, does not map both (BENCHMARKS.md,
// peak RSS). agent::BuildConfigDriveIso and agent::ReadConfigDriveIso forward to it; this layer
// knows no agent type, only the two files.
namespace cpi::media {

// Bumped whenever this table or the types it passes change.
inline constexpr int kIsoAbiVersion = 2;

// The two files of a config drive, as bytes.
struct ConfigDriveContent {
  std::string user_data;  // ec2/latest/user-data (and openstack/latest/user_data)
  std::string meta_data;  // ec2/latest/meta-data.json (and openstack/latest/meta_data.json)
};

struct IsoModule {
  int abi_version;
  // `volume_id`: the label the guest finds the drive by.
  std::string (*write_config_drive)(const ConfigDriveContent& files, std::string_view volume_id);
  ConfigDriveContent (*read_config_drive)(std::string_view iso);
};

// The module, loaded on first use from beside the hypervisor module's executable (or
// ../lib/bosh-libvirt-cpi/, or $BOSH_LIBVIRT_CPI_ISO_MODULE); the linked-in copy when the running
// program contains it (the test binary, the diagnose tool). Throws cpi::Error.
const IsoModule& Iso();

}  // namespace cpi::media

// Defined by the ISO module.
extern "C" const cpi::media::IsoModule* bosh_libvirt_cpi_iso_module();
