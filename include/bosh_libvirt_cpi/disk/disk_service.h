#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "bosh_libvirt_cpi/disk/disk_model.h"
#include "bosh_libvirt_cpi/host/host.h"
#include "bosh_libvirt_cpi/virt/objects.h"

// Persistent disks and their snapshots as volumes of the host's storage pool (docs/ARCHITECTURE.md
// §4, docs/CONTRACT.md §4.12-§4.22):
//   disk-<15 hex>       the disk (qcow2 or raw); the CID is also the virtio <serial> and the
//                       device's user alias is ua-<cid>, so the guest finds it at
//                       /dev/disk/by-id/virtio-<cid>
//   disk-<15 hex>-meta, -meta-alt  raw sidecars: the two slots of the last set_disk_metadata
//                       ({"generation", "metadata"} JSON; the higher complete generation is
//                       current: disk/disk_metadata.h)
//   snap-<uuid>         a point-in-time copy of a disk (same format, independent of the disk)
//   snap-<uuid>-meta    raw sidecar: {"disk_cid", "metadata", "method", "vm", "created_at"}
// Operators read a sidecar with `virsh vol-download --pool P disk-...-meta /dev/stdout`.
//
// Every function throws cpi::Error whose message is the cause only; actions prefix the step
// ("Attaching disk 'disk-…' to VM 'vm-…': <cause>"). Read-modify-write of one disk or one
// domain is serialised across CPI processes with flock files in the config's lock_dir:
// "disk-<cid>" (always taken first), then "domain-<vm-cid>".
namespace cpi::disk {

// A disk volume as found in the pool.
struct Disk {
  std::string cid;
  std::string path;    // on the hypervisor
  std::string format;  // qcow2 | raw
  uint64_t capacity = 0;
  std::unique_ptr<virt::Volume> vol;
};

// nullopt when `cid` is not a disk CID (util/ids.h) or no such volume exists.
std::optional<Disk> FindDisk(host::Host& host, const std::string& cid);

// A domain whose definition uses a disk.
struct Attachment {
  std::string vm;       // domain name (a VM CID for our VMs)
  bool live = false;    // in the running domain
  bool config = false;  // in the persistent definition
  std::string target;   // vdX in the live definition when live, else in the persistent one
};

// Every domain on the host whose live or persistent XML has a <disk> with the volume's path (or
// pool/volume, or the CID as serial).
std::vector<Attachment> FindAttachments(host::Host& host, const Disk& disk);

// create_disk: a blank volume of `size_mib` MiB in `props.format`; returns its new CID. Bad size
// → CpiError before anything is created. The empty volume "<cid>-creating" exists from before
// the disk is made until the last step (a failure deletes both), so a disk a killed create_disk
// left is told apart from the Director's by the `cleanup` command.
std::string CreateDisk(host::Host& host, int64_t size_mib, const DiskProperties& props);

// delete_disk: deletes the volume and its metadata sidecars. Returns false when there was no such
// disk (a leftover sidecar is still removed). Refuses with CloudError naming the VM(s) while any
// domain uses the disk, live or in its definition: a volume in use is never deleted.
bool DeleteDisk(host::Host& host, const std::string& cid);

// has_disk: whether the volume exists (false for strings that are not disk CIDs).
bool HasDisk(host::Host& host, const std::string& cid);

struct AttachResult {
  std::string target;    // vdX the disk has in the domain's definition
  bool already = false;  // it was attached before the call: nothing was added
};

struct ConfigDriveUpdate {
  // When the Director hands the agent no disk hint (a v1 call or a v1 stemcell:
  // DirectorPassesDiskHint) the agent reads persistent disks from its settings: rebuild the VM's
  // config drive with disks.persistent updated and swap the CD-ROM's media.
  bool enabled = false;

  // Enabled exactly when the Director will not pass the hint (DirectorPassesDiskHint).
  static ConfigDriveUpdate ForRequest(int api_version,
                                      std::optional<int64_t> stemcell_api_version) {
    return ConfigDriveUpdate{!DirectorPassesDiskHint(api_version, stemcell_api_version)};
  }
};

// attach_disk: hot-plugs the disk as virtio-blk (<serial> and alias ua-<cid>) into the running
// domain and its definition, or into the definition alone when the domain is off. The target is
// the first vdX from vdc on free in both definitions, picked under the domain's lock. Attaching
// a disk the VM already has adds nothing (a half-attached disk, in one definition only, is
// completed). Throws CloudError when the VM or the disk does not exist, and when another domain
// uses the disk (naming it).
AttachResult AttachDisk(host::Host& host, const std::string& vm_cid, const std::string& disk_cid,
                        const ConfigDriveUpdate& config_drive = {});

struct DetachOptions {
  // How long the guest gets to release the device after the first live request.
  std::chrono::milliseconds timeout{30000};
  // How often the live XML is re-read to confirm the removal.
  std::chrono::milliseconds poll{250};
  // How often the live request is sent again while the device is still there (a guest that was
  // busy booting may have missed the ACPI notification), as Nova does.
  std::chrono::milliseconds reissue_every{5000};
};

// detach_disk: removes the device from the persistent definition (synchronous, verified), then
// from the running domain, and confirms by re-reading the live XML until it is gone. Throws
// DiskNotAttached (ok_to_retry: true, as the contract's error table has it) when the VM has no
// such device in either definition, CloudError when the VM does not exist, and CloudError when
// the guest has not released the device within `timeout`: the disk is then already gone from the
// definition (it will be gone after the VM's next power cycle) and a retry sends the live
// request again.
void DetachDisk(host::Host& host, const std::string& vm_cid, const std::string& disk_cid,
                const DetachOptions& options = {}, const ConfigDriveUpdate& config_drive = {});

// get_disks: CIDs of the persistent disks (serial disk-<15 hex>) in the VM's live and persistent
// definitions, ordered by target; never the root, ephemeral or config-drive devices. CloudError
// "VM '<cid>' not found" when there is no such VM.
std::vector<std::string> GetDisks(host::Host& host, const std::string& vm_cid);

// resize_disk: grows the volume (virStorageVolResize). Equal size: nothing to do. Shrinking:
// NotSupported. Missing disk: DiskNotFound. Attached disk: CloudError naming the VM (the
// Director detaches before resizing; growing under a running guest is not offered).
void ResizeDisk(host::Host& host, const std::string& cid, int64_t new_size_mib);

// update_disk: growth in the same format is done in place (as ResizeDisk); a format change or a
// shrink answers NotSupported, so the Director creates a new disk and migrates the data.
// cloud_properties without `format` mean qcow2, like create_disk.
void UpdateDisk(host::Host& host, const std::string& cid, int64_t new_size_mib,
                const DiskProperties& props);

// set_disk_metadata: replaces the disk's metadata with `metadata`, atomically (the old value
// stays readable until the new one is complete: disk/disk_metadata.h). It lives in the pool
// beside the disk, so it survives detach, delete_vm and re-attach. Missing disk: DiskNotFound.
void SetDiskMetadata(host::Host& host, const std::string& cid, const nlohmann::json& metadata);

struct SnapshotOptions {
  // Bound for a backup job of a disk attached to a running VM (aborted and failed after it).
  std::chrono::milliseconds timeout{std::chrono::hours(1)};
  std::chrono::milliseconds poll{100};
};

// snapshot_disk: a crash-consistent point-in-time copy "snap-<uuid>" of the disk. A disk in use
// by a running domain is copied by QEMU itself through libvirt's backup API (push mode); a disk
// that no running domain uses is cloned by the storage driver. The copy's origin and `metadata`
// go to the sidecar "<snap-cid>-meta". On failure nothing is left behind. Missing disk:
// DiskNotFound.
std::string SnapshotDisk(host::Host& host, const std::string& disk_cid,
                         const nlohmann::json& metadata, const SnapshotOptions& options = {});

// The snapshot's sidecar record, or nullopt.
std::optional<nlohmann::json> ReadSnapshotRecord(host::Host& host, const std::string& snap_cid);

// delete_snapshot: deletes the snapshot volume and its sidecar. Returns false when there was no
// such snapshot (success for the caller: deleting is idempotent).
bool DeleteSnapshot(host::Host& host, const std::string& snap_cid);

}  // namespace cpi::disk
