// snapshot_disk and delete_snapshot.
#include <spdlog/fmt/fmt.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <thread>

#include "bosh_libvirt_cpi/disk/disk_service.h"
#include "bosh_libvirt_cpi/disk/volumes.h"
#include "bosh_libvirt_cpi/errors.h"
#include "bosh_libvirt_cpi/host/rollback.h"
#include "bosh_libvirt_cpi/host/sidecar.h"
#include "bosh_libvirt_cpi/names/names.h"
#include "bosh_libvirt_cpi/util/file_lock.h"
#include "bosh_libvirt_cpi/util/ids.h"
#include "bosh_libvirt_cpi/xml/render.h"

namespace cpi::disk {
namespace {

using Clock = std::chrono::steady_clock;

// Waits for the domain's backup job to end, logging progress; aborts it after the bound.
void WaitForBackup(virt::Domain& dom, const std::string& snap_cid, const SnapshotOptions& options) {
  const std::string& vm = dom.name();
  Clock::time_point start = Clock::now();
  Clock::time_point last_log = start;
  for (;;) {
    virt::JobProgress job = dom.Job();
    if (!job.active) break;
    Clock::time_point now = Clock::now();
    if (now - start >= options.timeout) {
      dom.AbortJob();
      throw CloudError(
          fmt::format("the backup job for {} did not finish within {:.0f} s; cancelled",
                      Quote(snap_cid), std::chrono::duration<double>(options.timeout).count()));
    }
    if (now - last_log >= std::chrono::seconds(5)) {
      last_log = now;
      spdlog::info("backup into {}: {} of {} bytes", snap_cid, job.processed, job.total);
    }
    std::this_thread::sleep_for(options.poll);
  }
  virt::CompletedJob done = dom.LastCompletedJob();
  if (!done.known) {
    throw CloudError("the backup job for " + Quote(snap_cid) + " on domain " + Quote(vm) +
                     " ended, but libvirt has no record of its outcome (was the VM stopped?)");
  }
  if (!done.succeeded) {
    throw CloudError("the backup job for " + Quote(snap_cid) + " on domain " + Quote(vm) +
                     " failed: " + (done.error.empty() ? "no reason given" : done.error));
  }
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
  spdlog::info("backup into {} completed: {} bytes in {} ms", snap_cid, done.processed, ms);
}

// The target of the disk in the running domain, or "" when it no longer runs with it.
std::string LiveTarget(host::Host& host, const virt::Domain& dom, const Disk& disk) {
  if (!dom.Active()) return "";
  DiskRef ref{disk.cid, disk.path, host.pool_name(), disk.cid};
  std::optional<DiskDeviceEntry> dev =
      FindDevice(ReadDiskDevices(dom.Xml(/*inactive=*/false), "domain " + dom.name()), ref);
  return dev ? dev->target : "";
}

}  // namespace

std::string SnapshotDisk(host::Host& host, const std::string& disk_cid,
                         const nlohmann::json& metadata, const SnapshotOptions& options) {
  const config::Config& config = host.config();
  if (!util::IsDiskCid(disk_cid)) throw DiskNotFound("disk " + Quote(disk_cid) + " not found");
  util::FileLock disk_lock(config.lock_dir, DiskLockName(disk_cid));
  std::optional<Disk> found = FindDisk(host, disk_cid);
  if (!found) throw DiskNotFound("disk " + Quote(disk_cid) + " not found");
  const Disk& disk = *found;

  virt::Pool& pool = host.Pool();
  std::string snap = util::NewSnapshotCid(host.key());
  std::string meta = names::MetadataVolume(snap);
  std::string volume_xml = DiskVolumeXml(snap, disk.capacity, disk.format, config.templates_dir);

  // On failure the snapshot and its sidecar are removed and proved gone, reconnecting if the
  // daemon was lost (host/rollback.h).
  std::string method = "clone";
  host::WithRollback(host, [&](host::Rollback& undo) {
    undo.NoteVolume(snap);  // a failed copy may leave a partial one
    std::string vm;
    for (const Attachment& a : FindAttachments(host, disk)) {
      if (a.live) vm = a.vm;
    }
    if (!vm.empty()) {
      // The disk is in use by a running domain. A copy of the file made behind QEMU's back would
      // mix blocks from different moments (and QEMU holds the image's write lock). QEMU's own
      // backup job, driven through libvirt's backup API in push mode, copies the disk as it was
      // at the instant the job started (copy-before-write), while the guest keeps running: the
      // result is crash-consistent, like pulling the power at that instant. The target volume is
      // created first, so it lives in the pool with the right format and permissions, and handed
      // to libvirt with REUSE_EXTERNAL.
      util::FileLock domain_lock(config.lock_dir, DomainLockName(vm));
      std::unique_ptr<virt::Domain> dom = host.FindDomain(vm);
      std::string target = dom ? LiveTarget(host, *dom, disk) : "";
      if (!target.empty()) {
        std::unique_ptr<virt::Volume> vol = pool.CreateVolume(volume_xml, snap);
        xml::Data d;
        d.set("target", target);
        d.set("snapshot_path", vol->Path());
        d.set("format", disk.format);
        std::string backup_xml = xml::Render("disk-backup.xml", d, config.templates_dir);
        spdlog::info("copying disk {} ({} in running VM {}) into {} with a backup job", disk_cid,
                     target, vm, snap);
        undo.Add("the backup job on domain " + Quote(vm), [vm](host::Host& h) {
          if (std::unique_ptr<virt::Domain> running = h.FindDomain(vm)) running->AbortJob();
        });
        dom->BeginPushBackup(backup_xml);
        WaitForBackup(*dom, snap, options);
        method = "backup";
      } else {
        vm.clear();  // it stopped (or let go of the disk) meanwhile: the clone below is consistent
      }
    }
    if (method == "clone") {
      spdlog::info("copying disk {} into {} (no running VM uses it)", disk_cid, snap);
      pool.CloneVolume(volume_xml, *disk.vol, snap);
    }

    nlohmann::json record = {
        {"disk_cid", disk_cid},  {"metadata", metadata},
        {"method", method},      {"vm", vm.empty() ? nlohmann::json(nullptr) : nlohmann::json(vm)},
        {"format", disk.format}, {"capacity_bytes", disk.capacity},
        {"created_at", NowUtc()}};
    undo.MakeVolume(meta, [&] { WriteJsonVolume(host, meta, record); });
  });
  spdlog::info("created snapshot {} of disk {} ({})", snap, disk_cid, method);
  return snap;
}

std::optional<nlohmann::json> ReadSnapshotRecord(host::Host& host, const std::string& snap_cid) {
  if (!util::IsSnapshotCid(snap_cid)) return std::nullopt;
  return host::ReadSidecarJson(host, names::MetadataVolume(snap_cid), kMaxSidecarBytes, "JSON");
}

bool DeleteSnapshot(host::Host& host, const std::string& snap_cid) {
  if (!util::IsSnapshotCid(snap_cid)) return false;
  virt::Pool& pool = host.Pool();
  bool existed = pool.DeleteVolume(snap_cid);
  pool.DeleteVolume(names::MetadataVolume(snap_cid));
  if (existed) spdlog::info("deleted snapshot {}", snap_cid);
  return existed;
}

}  // namespace cpi::disk
