#pragma once

#include <string>
#include <string_view>

namespace cpi::agent {

// The volume label the agent looks for (/dev/disk/by-label/config-2).
inline constexpr std::string_view kConfigDriveLabel = "config-2";

struct ConfigDriveFiles {
  std::string user_data;  // the agent settings JSON
  std::string meta_data;  // meta-data.json
};

// An ISO9660 image with Rock Ridge (RRIP 1.10, as genisoimage writes for Nova) and Joliet, volume
// id "config-2", holding ec2/latest/meta-data.json, ec2/latest/user-data,
// openstack/latest/meta_data.json and openstack/latest/user_data (the openstack/ pair has the same
// contents, for Nova parity). Built in memory with libisofs: no temporary files, no processes.
// The output depends only on `files`: every timestamp is fixed and owners/modes are the defaults
// (root, 0444 files, 0555 directories). Throws cpi::Error CloudError "building config drive:
// <step>: <libisofs message>".
std::string BuildConfigDriveIso(const ConfigDriveFiles& files);

// Reads ec2/latest/user-data and ec2/latest/meta-data.json back out of a config-drive ISO image
// held in memory (as BuildConfigDriveIso writes it, or any ISO9660 image with Rock Ridge or
// Joliet names), with libisofs' reading API over the bytes: no temporary file, no mount. API v1
// stemcells read their persistent disks from these settings, so attach/detach rebuild the drive
// from what it holds: the settings carry create_vm's env (secrets) and are kept nowhere else.
// Throws cpi::Error (CloudError) "reading config drive: <step>: <cause>"; the contents are never
// part of a message.
ConfigDriveFiles ReadConfigDriveIso(std::string_view iso);

}  // namespace cpi::agent
