#include "bosh_libvirt_cpi/agent/config_drive.h"

#include "bosh_libvirt_cpi/media/media_module.h"

namespace cpi::agent {

// libisofs lives in the media module, loaded by the calls that need it (media_module.h).
std::string BuildConfigDriveIso(const ConfigDriveFiles& files) {
  return media::Media().write_config_drive(files);
}

}  // namespace cpi::agent
