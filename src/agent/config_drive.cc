#include "bosh_libvirt_cpi/agent/config_drive.h"

#include "bosh_libvirt_cpi/media/iso_module.h"

namespace cpi::agent {

// libisofs lives in the ISO module, loaded by the calls that need it (iso_module.h).
std::string BuildConfigDriveIso(const ConfigDriveFiles& files) {
  return media::Iso().write_config_drive(files);
}

}  // namespace cpi::agent
