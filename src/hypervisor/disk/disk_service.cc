#include "bosh_libvirt_cpi/disk/disk_service.h"

#include <spdlog/spdlog.h>

#include "bosh_libvirt_cpi/disk/disk_metadata.h"
#include "bosh_libvirt_cpi/disk/volumes.h"
#include "bosh_libvirt_cpi/errors.h"
#include "bosh_libvirt_cpi/host/rollback.h"
#include "bosh_libvirt_cpi/host/volume_xml.h"
#include "bosh_libvirt_cpi/names/names.h"
#include "bosh_libvirt_cpi/util/file_lock.h"
#include "bosh_libvirt_cpi/util/ids.h"
#include "bosh_libvirt_cpi/vm/vm_service.h"

namespace cpi::disk {
namespace {

std::string Mib(uint64_t bytes) { return std::to_string(bytes / kMiB) + " MiB"; }

std::string VmList(const std::vector<Attachment>& attachments) {
  std::string out;
  for (const Attachment& a : attachments) {
    if (!out.empty()) out += ", ";
    out += Quote(a.vm);
  }
  return out;
}

Disk RequireDisk(host::Host& host, const std::string& cid) {
  std::optional<Disk> disk = FindDisk(host, cid);
  if (!disk) throw DiskNotFound("disk " + Quote(cid) + " not found");
  return std::move(*disk);
}

// Grows `disk` to `bytes` unless it already has that size; refuses shrinking and disks in use.
void Grow(host::Host& host, Disk& disk, uint64_t bytes) {
  if (bytes == disk.capacity) {
    spdlog::info("disk {} already has {}: nothing to do", disk.cid, Mib(bytes));
    return;
  }
  if (bytes < disk.capacity) {
    throw NotSupported("shrinking disk " + Quote(disk.cid) + " from " + Mib(disk.capacity) +
                       " to " + Mib(bytes) + " is not supported");
  }
  std::vector<Attachment> users = FindAttachments(host, disk);
  if (!users.empty()) {
    throw CloudError("disk " + Quote(disk.cid) + " is attached to VM " + VmList(users) +
                     "; detach it before resizing");
  }
  disk.vol->Resize(bytes);
  spdlog::info("grew disk {} from {} to {}", disk.cid, Mib(disk.capacity), Mib(bytes));
  disk.capacity = bytes;
}

}  // namespace

std::optional<Disk> FindDisk(host::Host& host, const std::string& cid) {
  if (!util::IsDiskCid(cid)) return std::nullopt;
  std::unique_ptr<virt::Volume> vol = host.FindVolume(cid);
  if (!vol) return std::nullopt;
  host::VolumeShape shape = host::DescribeVolume(*vol, "volume " + cid);
  return Disk{cid, std::move(shape.path), std::move(shape.format), shape.capacity, std::move(vol)};
}

std::vector<Attachment> FindAttachments(host::Host& host, const Disk& disk) {
  DiskRef ref{disk.cid, disk.path, host.pool_name(), disk.cid};
  std::vector<Attachment> out;
  for (const virt::DomainDescription& d : host.conn().ListDomains()) {
    Attachment a;
    a.vm = d.name;
    if (!d.config_xml.empty()) {
      if (auto dev = FindDevice(ReadDiskDevices(d.config_xml, "domain " + d.name), ref)) {
        a.config = true;
        a.target = dev->target;
      }
    }
    if (!d.live_xml.empty()) {
      if (auto dev = FindDevice(ReadDiskDevices(d.live_xml, "domain " + d.name), ref)) {
        a.live = true;
        a.target = dev->target;
      }
    }
    if (a.live || a.config) out.push_back(std::move(a));
  }
  return out;
}

std::string CreateDisk(host::Host& host, int64_t size_mib, const DiskProperties& props) {
  uint64_t bytes = DiskSizeBytes(size_mib);
  virt::Pool& pool = host.Pool();
  // 60 random bits per CID: a clash is practically impossible, but cheap to rule out.
  std::string cid = util::NewDiskCid(host.key());
  for (int i = 0; i < 5 && host.FindVolume(cid); ++i) cid = util::NewDiskCid(host.key());
  const std::string& templates_dir = host.config().templates_dir;
  // The mark first, removed as the last step: a process killed in between (no rollback runs)
  // leaves a disk beside its mark, which the `cleanup` command knows BOSH has no CID for
  // (docs/ARCHITECTURE.md §8). An empty raw volume: nothing to write, one file in the pool.
  // On a failure both are removed and proved gone before the error goes out, reconnecting if the
  // daemon was lost (host/rollback.h); the Director retries.
  std::string mark = names::CreatingMarkVolume(cid);
  host::WithRollback(host, [&](host::Rollback& undo) {
    undo.MakeVolume(mark,
                    [&] { pool.CreateVolume(DiskVolumeXml(mark, 0, "raw", templates_dir), mark); });
    undo.MakeVolume(cid, [&] {
      pool.CreateVolume(DiskVolumeXml(cid, bytes, props.format, templates_dir), cid);
    });
    pool.DeleteVolume(mark);
  });
  spdlog::info("created disk {} ({}, {}) in pool {}", cid, Mib(bytes), props.format,
               Quote(host.pool_name()));
  return cid;
}

bool DeleteDisk(host::Host& host, const std::string& cid) {
  if (!util::IsDiskCid(cid)) return false;
  util::FileLock lock(host.config().lock_dir, DiskLockName(cid));
  virt::Pool& pool = host.Pool();
  std::optional<Disk> disk = FindDisk(host, cid);
  const std::string sidecars[] = {names::MetadataVolume(cid), names::AlternateMetadataVolume(cid)};
  if (!disk) {
    for (const std::string& sidecar : sidecars) {
      if (pool.DeleteVolume(sidecar)) spdlog::info("deleted leftover volume {}", sidecar);
    }
    return false;
  }
  std::vector<Attachment> users = FindAttachments(host, *disk);
  if (!users.empty()) {
    throw CloudError("disk " + Quote(cid) + " is still attached to VM " + VmList(users) +
                     "; detach it first");
  }
  pool.DeleteVolume(cid);
  for (const std::string& sidecar : sidecars) pool.DeleteVolume(sidecar);
  spdlog::info("deleted disk {}", cid);
  return true;
}

bool HasDisk(host::Host& host, const std::string& cid) { return FindDisk(host, cid).has_value(); }

std::vector<std::string> GetDisks(host::Host& host, const std::string& vm_cid) {
  std::unique_ptr<virt::Domain> dom = vm::FindVm(host, vm_cid);
  if (!dom) throw CloudError("VM " + Quote(vm_cid) + " not found");
  std::vector<std::vector<DiskDeviceEntry>> definitions;
  definitions.push_back(ReadDiskDevices(dom->Xml(/*inactive=*/true), "domain " + vm_cid));
  if (dom->Active()) {
    definitions.push_back(ReadDiskDevices(dom->Xml(/*inactive=*/false), "domain " + vm_cid));
  }
  return MergePersistentDiskCids(definitions);
}

void ResizeDisk(host::Host& host, const std::string& cid, int64_t new_size_mib) {
  uint64_t bytes = DiskSizeBytes(new_size_mib);
  if (!util::IsDiskCid(cid)) throw DiskNotFound("disk " + Quote(cid) + " not found");
  util::FileLock lock(host.config().lock_dir, DiskLockName(cid));
  Disk disk = RequireDisk(host, cid);
  Grow(host, disk, bytes);
}

void UpdateDisk(host::Host& host, const std::string& cid, int64_t new_size_mib,
                const DiskProperties& props) {
  uint64_t bytes = DiskSizeBytes(new_size_mib);
  if (!util::IsDiskCid(cid)) throw DiskNotFound("disk " + Quote(cid) + " not found");
  util::FileLock lock(host.config().lock_dir, DiskLockName(cid));
  Disk disk = RequireDisk(host, cid);
  if (props.format != disk.format) {
    throw NotSupported("changing the format of disk " + Quote(cid) + " from " + disk.format +
                       " to " + props.format + " needs a new disk");
  }
  Grow(host, disk, bytes);
}

void SetDiskMetadata(host::Host& host, const std::string& cid, const nlohmann::json& metadata) {
  if (!util::IsDiskCid(cid)) throw DiskNotFound("disk " + Quote(cid) + " not found");
  util::FileLock lock(host.config().lock_dir, DiskLockName(cid));
  RequireDisk(host, cid);
  WriteDiskMetadata(host, cid, metadata);
}

}  // namespace cpi::disk
