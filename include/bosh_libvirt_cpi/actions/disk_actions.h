#pragma once

#include <nlohmann/json.hpp>

#include "bosh_libvirt_cpi/rpc/call.h"

// Persistent-disk and snapshot methods (docs/CONTRACT.md §4.12-§4.22), in the hypervisor module.
// Arguments were validated against the method table before these run; each reads them all first,
// then acts (disk::*), and wraps failures with the step, e.g. "Attaching disk 'disk-…' to VM
// 'vm-…'".
namespace cpi::actions {

// create_disk(size_mib, cloud_properties, vm_cid|null) → "disk-<15 hex>".
nlohmann::json CreateDisk(const rpc::Call& call);
// delete_disk(disk_cid) → null; a missing disk is success; an attached disk is a CloudError.
nlohmann::json DeleteDisk(const rpc::Call& call);
// has_disk(disk_cid) → bool.
nlohmann::json HasDisk(const rpc::Call& call);
// attach_disk(vm_cid, disk_cid) → v2: {"path": "/dev/disk/by-id/virtio-<cid>"}; v1: null.
nlohmann::json AttachDisk(const rpc::Call& call);
// detach_disk(vm_cid, disk_cid) → null; DiskNotAttached when the VM does not have it.
nlohmann::json DetachDisk(const rpc::Call& call);
// resize_disk(disk_cid, new_size_mib) → null; shrinking is NotSupported.
nlohmann::json ResizeDisk(const rpc::Call& call);
// update_disk(disk_cid, new_size_mib, cloud_properties) → null (updated in place).
nlohmann::json UpdateDisk(const rpc::Call& call);
// set_disk_metadata(disk_cid, metadata) → null.
nlohmann::json SetDiskMetadata(const rpc::Call& call);
// get_disks(vm_cid) → ["disk-…", ...].
nlohmann::json GetDisks(const rpc::Call& call);
// snapshot_disk(disk_cid, metadata) → "snap-<uuid>".
nlohmann::json SnapshotDisk(const rpc::Call& call);
// delete_snapshot(snapshot_cid) → null; a missing snapshot is success.
nlohmann::json DeleteSnapshot(const rpc::Call& call);

}  // namespace cpi::actions
