#include "bosh_libvirt_cpi/disk/config_drive_reader.h"

#include "bosh_libvirt_cpi/media/media_module.h"

namespace cpi::disk {

// libisofs lives in the media module, loaded by the calls that need it (media_module.h).
agent::ConfigDriveFiles ReadConfigDriveIso(std::string_view iso) {
  return media::Media().read_config_drive(iso);
}

}  // namespace cpi::disk
