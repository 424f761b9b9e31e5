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

// Sidecars hold a few hundred bytes of metadata; anything near this is not ours. Read them with
// host::ReadSidecarBytes / ReadSidecarJson (host/sidecar.h).
constexpr uint64_t kMaxSidecarBytes = 1024 * 1024;

// Replaces the raw volume `name` with one holding exactly `text` (deleted and created anew: an
// upload never truncates a volume; a failed upload deletes it again). CpiError when `text` is
// larger than kMaxSidecarBytes; otherwise throws cpi::Error / virt::Error.
void WriteBytesVolume(host::Host& host, const std::string& name, const std::string& text);

// WriteBytesVolume of `value` as JSON (a new volume only: replacing a value this way is not
// atomic, see disk/disk_metadata.h). Throws cpi::Error / virt::Error.
void WriteJsonVolume(host::Host& host, const std::string& name, const nlohmann::json& value);

// Lock names (util::FileLock in config.lock_dir). Take the disk's before the domain's.
std::string DiskLockName(const std::string& disk_cid);
std::string DomainLockName(const std::string& vm_cid);

}  // namespace cpi::disk
