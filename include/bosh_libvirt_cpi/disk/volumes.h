#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "bosh_libvirt_cpi/host/host.h"

// Volume plumbing shared by the disk service's parts.
namespace cpi::disk {

// Volume XML for a disk, snapshot or sidecar (templates/disk-volume.xml): qcow2 volumes are
// created as qcow2 v3 (compat 1.1), mode 0600.
std::string DiskVolumeXml(const std::string& name, uint64_t capacity_bytes,
                          const std::string& format, const std::string& templates_dir);

// Replaces the raw volume `name` with one holding exactly `value` as JSON (deleted and created
// anew: an upload never truncates a volume). Throws cpi::Error / virt::Error.
void WriteJsonVolume(host::Host& host, const std::string& name, const nlohmann::json& value);

// The JSON a volume written by WriteJsonVolume holds; nullopt when there is no such volume.
// Throws CloudError when it does not hold JSON.
std::optional<nlohmann::json> ReadJsonVolume(host::Host& host, const std::string& name);

// Lock names (util::FileLock in config.lock_dir). Take the disk's before the domain's.
std::string DiskLockName(const std::string& disk_cid);
std::string DomainLockName(const std::string& vm_cid);

}  // namespace cpi::disk
