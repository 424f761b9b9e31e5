#include "bosh_libvirt_cpi/disk/config_drive_reader.h"

#include "bosh_libvirt_cpi/media/iso_module.h"

namespace cpi::disk {

// libisofs lives in the ISO module, loaded by the calls that need it (iso_module.h).
agent::ConfigDriveFiles ReadConfigDriveIso(std::string_view iso) {
  return media::Iso().read_config_drive(iso);
}

}  // namespace cpi::disk
