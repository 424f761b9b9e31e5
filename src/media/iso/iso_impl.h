#pragma once

// The ISO module's own functions (iso_module.h has the table the hypervisor module sees).
#include <string>
#include <string_view>

#include "bosh_libvirt_cpi/media/iso_module.h"

namespace cpi::media {

// Initialises libisofs once per process for both config-drive directions: the process locale
// left alone, nothing printed, failures queued (their text travels in exceptions). Throws
// cpi::Error (CloudError) "<purpose>: initializing libisofs: …".
void InitLibisofs(const std::string& purpose);

// agent::BuildConfigDriveIso's work (config_drive.h documents the image).
std::string WriteConfigDriveIso(const ConfigDriveContent& files, std::string_view volume_id);

// agent::ReadConfigDriveIso's work (config_drive.h).
ConfigDriveContent ReadConfigDriveIso(std::string_view iso);

}  // namespace cpi::media
