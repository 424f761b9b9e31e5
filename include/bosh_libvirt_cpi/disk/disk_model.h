#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

// The pure part of the disk service: cloud_properties, sizes, hints, names, and what a domain's
// XML says about its disks. Nothing here talks to libvirt, so all of it is unit-tested.
namespace cpi::disk {

inline constexpr uint64_t kMiB = 1024 * 1024;
// Larger requests are refused as bad input (64 TiB; qcow2's own limit is far above).
inline constexpr int64_t kMaxDiskMib = 64ll * 1024 * 1024;

// The disk_type cloud_properties this CPI understands (docs/CONTRACT.md §8). Other keys (the
// Director adds `name` for dynamic disks, manifests carry IaaS-specific keys) are ignored.
struct DiskProperties {
  std::string format = "qcow2";  // "qcow2" | "raw"
};

// Reads `format` from create_disk's / update_disk's cloud_properties (null = defaults). Throws
// cpi::Error (CpiError) naming the key when it is not one of the supported strings.
DiskProperties ParseDiskProperties(const nlohmann::json& cloud_properties);

// Whether the Director hands the agent a disk hint after attach_disk (`add_persistent_disk`): only
// when the call is API v2 or later (a v1 call's attach_disk answers null, so there is no hint to
// pass) and the stemcell is too (context vm.stemcell.api_version >= 2, or absent: docs/CONTRACT.md
// §2). Otherwise the agent learns of its persistent disks only from disks.persistent in its
// settings, which attach/detach_disk must then rewrite on the config drive.
bool DirectorPassesDiskHint(int request_api_version, std::optional<int64_t> stemcell_api_version);

// `size_mib` in bytes. Throws cpi::Error (CpiError) unless 1 <= size_mib <= kMaxDiskMib.
uint64_t DiskSizeBytes(int64_t size_mib);

// The input check create_disk and update_disk make before touching the host: the cloud_properties
// (ParseDiskProperties) and the size (DiskSizeBytes). Failures are CpiErrors wrapped with `step`.
DiskProperties CheckDiskRequest(int64_t size_mib, const nlohmann::json& cloud_properties,
                                const std::string& step);

// The attach_disk hint (API v2) and the API v1 settings entry: {"path":
// "/dev/disk/by-id/virtio-<cid>"}; the CID is the virtio serial, so udev names the disk after it.
nlohmann::json AttachHint(const std::string& disk_cid);

// The libvirt user alias of a persistent disk's device: "ua-<cid>".
std::string UserAlias(const std::string& disk_cid);

// One <disk> device of a domain definition, as libvirt reports it.
struct DiskDeviceEntry {
  std::string device;  // disk | cdrom | floppy | lun
  std::string target;  // vda, vdc, sda, hdc ...
  std::string bus;     // virtio, sata, ide ...
  std::string serial;
  std::string alias;  // ua-... (user aliases survive in the persistent definition)
  std::string path;   // <source file|dev>, empty for other source types
  std::string pool;   // <source pool volume> of type='volume' disks
  std::string volume;
  std::string format;  // <driver type>
  std::string xml;     // the element as libvirt wrote it
};

// Every <disk> of a domain XML, in document order. Throws cpi::Error (CloudError) when the XML
// is not well-formed; `what` names the document.
std::vector<DiskDeviceEntry> ReadDiskDevices(const std::string& domain_xml,
                                             const std::string& what);

// What identifies a persistent disk inside a domain: its volume path (or pool/volume for
// type='volume' disks), or its serial = CID.
struct DiskRef {
  std::string cid;
  std::string path;  // may be empty when the volume is gone
  std::string pool;
  std::string volume;
};

bool Matches(const DiskDeviceEntry& device, const DiskRef& disk);

// The first device that is `disk`, or nullopt.
std::optional<DiskDeviceEntry> FindDevice(const std::vector<DiskDeviceEntry>& devices,
                                          const DiskRef& disk);

// The CD-ROM holding the agent's config drive (user alias "ua-config-drive"), or nullopt.
std::optional<DiskDeviceEntry> FindConfigDrive(const std::vector<DiskDeviceEntry>& devices);

// Virtio target names in libvirt's order: 0 -> "vda", 25 -> "vdz", 26 -> "vdaa", ...
std::string VirtioTargetName(size_t index);

// The first virtio target from "vdc" on (vda = root, vdb = ephemeral by convention) that no
// device uses in any of `definitions` (the live and the persistent XML: a device can be in one
// and not yet or no longer in the other).
std::string PickTarget(const std::vector<std::vector<DiskDeviceEntry>>& definitions);

// CIDs of the persistent disks (serial of the form disk-<15 hex>) in `devices`, in order.
std::vector<std::string> PersistentDiskCids(const std::vector<DiskDeviceEntry>& devices);

// The same CIDs from several definitions, each once, in order of their targets.
std::vector<std::string> MergePersistentDiskCids(
    const std::vector<std::vector<DiskDeviceEntry>>& definitions);

// RFC 3339 UTC time of now, e.g. "2026-11-28T09:17:42Z" (for sidecar records).
std::string NowUtc();

// Sets (hint given) or removes (nullopt) disks.persistent[cid] in agent settings (API v1
// stemcells read their disks from there). Returns whether the settings changed.
bool SetPersistentDiskInSettings(nlohmann::json& settings, const std::string& disk_cid,
                                 const std::optional<nlohmann::json>& hint);

}  // namespace cpi::disk
