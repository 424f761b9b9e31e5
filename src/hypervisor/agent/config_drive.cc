#include "bosh_libvirt_cpi/agent/config_drive.h"

#include <utility>

#include "bosh_libvirt_cpi/media/iso_module.h"

namespace cpi::agent {

// libisofs lives in the ISO module, loaded by the calls that need it (iso_module.h).
std::string BuildConfigDriveIso(const ConfigDriveFiles& files) {
  return media::Iso().write_config_drive({files.user_data, files.meta_data}, kConfigDriveLabel);
}

ConfigDriveFiles ReadConfigDriveIso(std::string_view iso) {
  media::ConfigDriveContent content = media::Iso().read_config_drive(iso);
  return {std::move(content.user_data), std::move(content.meta_data)};
}

}  // namespace cpi::agent
