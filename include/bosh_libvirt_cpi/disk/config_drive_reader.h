#pragma once

#include <string_view>

#include "bosh_libvirt_cpi/agent/config_drive.h"

namespace cpi::disk {

// Reads ec2/latest/user-data and ec2/latest/meta-data.json back out of a config-drive ISO image
// held in memory (as agent::BuildConfigDriveIso writes it, or any ISO9660 image with Rock Ridge
// or Joliet names), with libisofs' reading API over the bytes: no temporary file, no mount.
// API v1 stemcells read their persistent disks from these settings, so attach/detach rebuild the
// drive from what it holds: the settings carry create_vm's env (secrets) and are kept nowhere
// else. Throws cpi::Error (CloudError) "reading config drive: <step>: <cause>"; the contents are
// never part of a message.
agent::ConfigDriveFiles ReadConfigDriveIso(std::string_view iso);

}  // namespace cpi::disk
