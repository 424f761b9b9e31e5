// attach_disk and detach_disk, plus the config-drive rebuild API v1 stemcells need.
#include <spdlog/fmt/fmt.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <thread>

#include "bosh_libvirt_cpi/agent/config_drive.h"
#include "bosh_libvirt_cpi/disk/disk_service.h"
#include "bosh_libvirt_cpi/disk/volumes.h"
#include "bosh_libvirt_cpi/errors.h"
#include "bosh_libvirt_cpi/host/rollback.h"
#include "bosh_libvirt_cpi/names/names.h"
#include "bosh_libvirt_cpi/util/file_lock.h"
#include "bosh_libvirt_cpi/util/ids.h"
#include "bosh_libvirt_cpi/virt/error.h"
#include "bosh_libvirt_cpi/vm/domain_spec.h"
#include "bosh_libvirt_cpi/vm/vm_service.h"
#include "bosh_libvirt_cpi/xml/render.h"

namespace cpi::disk {
namespace {

using Clock = std::chrono::steady_clock;

// The two definitions of a domain as they are now.
struct Definitions {
  bool active = false;
  std::vector<DiskDeviceEntry> config;
  std::vector<DiskDeviceEntry> live;  // empty when the domain is off
};

Definitions ReadDefinitions(const virt::Domain& dom) {
  Definitions d;
  const std::string& vm_cid = dom.name();
  d.active = dom.Active();
  d.config = ReadDiskDevices(dom.Xml(/*inactive=*/true), "domain " + vm_cid);
  if (d.active) d.live = ReadDiskDevices(dom.Xml(/*inactive=*/false), "domain " + vm_cid);
  return d;
}

std::string DeviceXml(const Disk& disk, const std::string& target,
                      const std::string& templates_dir) {
  xml::Data d;
  d.set("format", disk.format);
  d.set("path", disk.path);
  d.set("target", target);
  d.set("serial", disk.cid);
  return xml::Render("disk-device.xml", d, templates_dir);
}

bool TargetFree(const std::vector<DiskDeviceEntry>& devices, const std::string& target) {
  for (const DiskDeviceEntry& d : devices) {
    if (d.target == target) return false;
  }
  return true;
}

// Removes one device from one definition: by its user alias when it has ours, else by its XML.
virt::DetachRequest RequestDetach(virt::Domain& dom, const DiskDeviceEntry& device,
                                  const std::string& disk_cid, virt::Scope scope,
                                  const std::string& what) {
  if (device.alias == UserAlias(disk_cid)) {
    return dom.DetachAlias(device.alias, scope, what);
  }
  return dom.DetachDevice(device.xml, scope, what);
}

// Whether the CD-ROM of domain `vm_cid` holds volume `name`, in either definition.
bool ConfigDriveIs(host::Host& host, const std::string& vm_cid, const std::string& name) {
  std::unique_ptr<virt::Domain> dom = host.FindDomain(vm_cid);
  std::unique_ptr<virt::Volume> vol = host.FindVolume(name);
  if (!dom || !vol) return false;
  Definitions defs = ReadDefinitions(*dom);
  std::string path = vol->Path();
  for (const std::vector<DiskDeviceEntry>* devices : {&defs.config, &defs.live}) {
    std::optional<DiskDeviceEntry> cdrom = FindConfigDrive(*devices);
    if (cdrom && cdrom->path == path) return true;
  }
  return false;
}

// API v1 stemcells: rewrite disks.persistent in the settings on the VM's config drive and swap
// the CD-ROM's media to the new image. The settings are read back from the drive itself (they
// hold create_vm's env, which is stored nowhere else and never logged).
void UpdateConfigDrive(host::Host& host, virt::Domain& dom, const std::string& disk_cid,
                       const std::optional<nlohmann::json>& hint) {
  const config::Config& config = host.config();
  const std::string& vm_cid = dom.name();
  virt::Pool& pool = host.Pool();
  Definitions defs = ReadDefinitions(dom);
  std::optional<DiskDeviceEntry> cdrom = FindConfigDrive(defs.config);
  if (!cdrom) throw CloudError("VM " + Quote(vm_cid) + " has no config drive (ua-config-drive)");

  // Which of the two volumes the CD-ROM holds now.
  std::string current_name, next_name;
  for (const std::string& name :
       {names::ConfigVolume(vm_cid), names::AlternateConfigVolume(vm_cid)}) {
    std::unique_ptr<virt::Volume> vol = host.FindVolume(name);
    if (vol && vol->Path() == cdrom->path) current_name = name;
  }
  if (current_name.empty()) {
    throw CloudError("the config drive " + Quote(cdrom->path) + " of VM " + Quote(vm_cid) +
                     " is not a volume of pool " + Quote(host.pool_name()));
  }
  next_name = current_name == names::ConfigVolume(vm_cid) ? names::AlternateConfigVolume(vm_cid)
                                                          : names::ConfigVolume(vm_cid);

  std::unique_ptr<virt::Volume> current = host.FindVolume(current_name);
  agent::ConfigDriveFiles files = agent::ReadConfigDriveIso(current->Download(/*max_bytes=*/0));
  nlohmann::json settings;
  try {
    settings = nlohmann::json::parse(files.user_data);
  } catch (const nlohmann::json::exception&) {
    throw CloudError("the config drive of VM " + Quote(vm_cid) + " holds no JSON settings");
  }
  if (!SetPersistentDiskInSettings(settings, disk_cid, hint)) {
    spdlog::info("config drive of VM {} already lists the right persistent disks", vm_cid);
    return;
  }
  files.user_data = settings.dump();
  std::string iso = agent::BuildConfigDriveIso(files);

  pool.DeleteVolume(next_name);  // a leftover of an interrupted swap
  // On failure the new volume is removed and proved gone, reconnecting if the daemon was lost
  // (host/rollback.h); unless the CD-ROM holds it after all (a swap whose answer was lost).
  host::WithRollback(host, [&](host::Rollback& undo) {
    std::unique_ptr<virt::Volume> next = undo.MakeVolume(
        next_name,
        [&] {
          return pool.CreateVolume(
              DiskVolumeXml(next_name, iso.size(), "raw", config.templates_dir), next_name);
        },
        [vm_cid, next_name](host::Host& h) { return ConfigDriveIs(h, vm_cid, next_name); });
    next->UploadBytes(iso);

    xml::Data d;
    d.set("path", next->Path());
    d.set("target", cdrom->target);
    d.set("bus", cdrom->bus);
    d.set("alias", cdrom->alias);
    std::string cdrom_xml = xml::Render("disk-cdrom.xml", d, config.templates_dir);
    dom.UpdateDevice(cdrom_xml, defs.active ? virt::Scope::kLiveAndConfig : virt::Scope::kConfig,
                     "changing the config drive media of domain " + Quote(vm_cid));
  });

  // Keep the domain's own record of its volumes true (names are plain [a-z0-9-] strings).
  if (std::optional<std::string> record = dom.Metadata(vm::kVmNamespace)) {
    std::string from = ">" + current_name + "<", to = ">" + next_name + "<";
    if (size_t at = record->find(from); at != std::string::npos) {
      record->replace(at, from.size(), to);
      dom.SetMetadata(*record, "cpi", vm::kVmNamespace);
    }
  }
  pool.DeleteVolume(current_name);
  spdlog::info("rebuilt the config drive of VM {} ({} -> {}) with disk {} {}", vm_cid, current_name,
               next_name, disk_cid, hint ? "added" : "removed");
}

// One attach_disk decision and its device change, from what both definitions hold now.
struct Attacher {
  virt::Domain& dom;
  const Disk& disk;
  DiskRef ref;
  const std::string& templates_dir;

  // Where the disk is now: in the definition, in the running domain.
  std::pair<bool, bool> Place(const Definitions& defs) const {
    return {FindDevice(defs.config, ref).has_value(), FindDevice(defs.live, ref).has_value()};
  }

  // Adds the device at `target` to the definitions `scope` names; `where` names them in errors.
  void Add(const std::string& target, virt::Scope scope, const char* where) {
    dom.AttachDevice(DeviceXml(disk, target, templates_dir), scope,
                     std::string("adding device ") + target + " to the " + where);
  }

  // The disk is in one definition only: adds it to the `other` one (`scope`) under the target it
  // has, unless that target is taken there. Returns the target used.
  std::string Complete(const Definitions& defs, const DiskDeviceEntry& entry,
                       const std::vector<DiskDeviceEntry>& other, virt::Scope scope,
                       const char* where) {
    std::string target =
        TargetFree(other, entry.target) ? entry.target : PickTarget({defs.live, defs.config});
    Add(target, scope, where);
    return target;
  }

  // One decision from what both definitions hold now; returns the hint's target.
  AttachResult Attach(const Definitions& defs) {
    const std::string& vm_cid = dom.name();
    std::optional<DiskDeviceEntry> in_config = FindDevice(defs.config, ref);
    std::optional<DiskDeviceEntry> in_live = FindDevice(defs.live, ref);
    AttachResult result;
    if (in_config && (!defs.active || in_live)) {
      result = {in_live ? in_live->target : in_config->target, true};
      spdlog::info("disk {} is already attached to VM {} as {}", disk.cid, vm_cid, result.target);
    } else if (in_live) {
      // Live only: a detach whose live part never completed. Put it back into the definition.
      result = {Complete(defs, *in_live, defs.config, virt::Scope::kConfig, "definition"), false};
      spdlog::info("disk {} was in running VM {} only; added it to the definition as {}", disk.cid,
                   vm_cid, result.target);
    } else if (in_config) {
      // In the definition but not in the running domain: hot-plug it there.
      result = {Complete(defs, *in_config, defs.live, virt::Scope::kLive, "running domain"), false};
      spdlog::info("hot-plugged disk {} into running VM {} as {}", disk.cid, vm_cid, result.target);
    } else {
      result = {PickTarget({defs.live, defs.config}), false};
      Add(result.target, defs.active ? virt::Scope::kLiveAndConfig : virt::Scope::kConfig,
          defs.active ? "running domain and its definition" : "definition");
      spdlog::info("attached disk {} to {} VM {} as {}", disk.cid,
                   defs.active ? "running" : "stopped", vm_cid, result.target);
    }
    return result;
  }
};

}  // namespace

AttachResult AttachDisk(host::Host& host, const std::string& vm_cid, const std::string& disk_cid,
                        const ConfigDriveUpdate& config_drive) {
  const config::Config& config = host.config();
  if (!util::IsDiskCid(disk_cid)) throw CloudError("disk " + Quote(disk_cid) + " not found");
  util::FileLock disk_lock(config.lock_dir, DiskLockName(disk_cid));
  std::unique_ptr<virt::Domain> dom = vm::FindVm(host, vm_cid);
  if (!dom) throw CloudError("VM " + Quote(vm_cid) + " not found");
  std::optional<Disk> disk = FindDisk(host, disk_cid);
  if (!disk) throw CloudError("disk " + Quote(disk_cid) + " not found");

  // Read, pick and attach under the domain's lock: concurrent attaches to one VM (each holding
  // its own disk's lock) must never pick the same target.
  util::FileLock domain_lock(config.lock_dir, DomainLockName(vm_cid));
  for (const Attachment& a : FindAttachments(host, *disk)) {
    if (a.vm != vm_cid) {
      throw CloudError("disk " + Quote(disk_cid) + " is attached to VM " + Quote(a.vm) +
                       "; detach it there first");
    }
  }

  Attacher attacher{
      *dom, *disk, {disk->cid, disk->path, host.pool_name(), disk->cid}, config.templates_dir};
  AttachResult result;
  Definitions defs = ReadDefinitions(*dom);
  for (int attempt = 1;; ++attempt) {
    try {
      result = attacher.Attach(defs);
      break;
    } catch (const virt::Error&) {
      // An attach_disk of this disk that was killed may still be completing in the daemon (the
      // daemon finishes a call whose client died, and the client's lock died with it), which
      // makes ours fail ("non unique alias"). If the disk's place changed meanwhile, decide
      // again from the new state; otherwise the failure is ours.
      Definitions now = ReadDefinitions(*dom);
      if (attempt == 3 || attacher.Place(now) == attacher.Place(defs)) throw;
      spdlog::info("disk {} changed in VM {} while attaching it; deciding again", disk_cid, vm_cid);
      defs = std::move(now);
    }
  }

  if (config_drive.enabled) {
    UpdateConfigDrive(host, *dom, disk_cid, AttachHint(disk_cid));
  }
  return result;
}

void DetachDisk(host::Host& host, const std::string& vm_cid, const std::string& disk_cid,
                const DetachOptions& options, const ConfigDriveUpdate& config_drive) {
  const config::Config& config = host.config();
  std::unique_ptr<virt::Domain> dom = vm::FindVm(host, vm_cid);
  if (!dom) throw CloudError("VM " + Quote(vm_cid) + " not found");
  auto not_attached = [&] {
    return Error(ErrorType::kDiskNotAttached,
                 "disk " + Quote(disk_cid) + " is not attached to VM " + Quote(vm_cid),
                 /*ok_to_retry=*/true);
  };
  if (!util::IsDiskCid(disk_cid)) throw not_attached();
  util::FileLock disk_lock(config.lock_dir, DiskLockName(disk_cid));
  util::FileLock domain_lock(config.lock_dir, DomainLockName(vm_cid));

  // The volume may be gone already; the device is then still found by its serial and alias.
  DiskRef ref{disk_cid, "", host.pool_name(), disk_cid};
  if (std::optional<Disk> disk = FindDisk(host, disk_cid)) ref.path = disk->path;
  Definitions defs = ReadDefinitions(*dom);
  std::optional<DiskDeviceEntry> in_config = FindDevice(defs.config, ref);
  std::optional<DiskDeviceEntry> in_live = FindDevice(defs.live, ref);
  if (!in_config && !in_live) throw not_attached();

  // 1. The persistent definition first (Nova's order): synchronous, then verified.
  if (in_config) {
    RequestDetach(*dom, *in_config, disk_cid, virt::Scope::kConfig,
                  "removing device " + in_config->target + " from the definition");
    std::vector<DiskDeviceEntry> after =
        ReadDiskDevices(dom->Xml(/*inactive=*/true), "domain " + vm_cid);
    if (FindDevice(after, ref)) {
      throw CloudError("disk " + Quote(disk_cid) + " is still in the definition of VM " +
                       Quote(vm_cid) + " after removing it");
    }
  }

  // 2. The running domain: the guest must acknowledge the unplug (ACPI PCI hot-unplug), so the
  // request is asynchronous. Confirm by re-reading the live XML; ask again now and then.
  if (in_live) {
    Clock::time_point start = Clock::now();
    Clock::time_point deadline = start + options.timeout;
    Clock::time_point next_request = start;
    int requests = 0;
    std::string what = "unplugging device " + in_live->target + " from the running domain";
    for (;;) {
      Clock::time_point now = Clock::now();
      if (now >= next_request) {
        try {
          RequestDetach(*dom, *in_live, disk_cid, virt::Scope::kLive, what);
        } catch (const virt::Error& e) {
          // A repeated request can be refused while the first is still pending ("already in the
          // process of unplug"); the XML below decides.
          if (requests == 0) throw;
          spdlog::info("repeated unplug request for disk {}: {}", disk_cid, e.what());
        }
        ++requests;
        next_request = now + options.reissue_every;
      }
      std::this_thread::sleep_for(options.poll);
      if (!dom->Active()) break;  // stopped meanwhile: nothing is live
      std::vector<DiskDeviceEntry> live =
          ReadDiskDevices(dom->Xml(/*inactive=*/false), "domain " + vm_cid);
      if (!FindDevice(live, ref)) break;
      if (Clock::now() >= deadline) {
        throw CloudError(fmt::format(
            "the guest did not release disk {} within {:.1f} s ({} unplug requests); it is "
            "removed from the VM's definition and goes with the VM's next power-off; retry "
            "detach_disk to ask the guest again",
            Quote(disk_cid), std::chrono::duration<double>(options.timeout).count(), requests));
      }
    }
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
    spdlog::info("guest released disk {} after {} ms ({} request(s))", disk_cid, ms, requests);
  }

  if (config_drive.enabled) {
    UpdateConfigDrive(host, *dom, disk_cid, std::nullopt);
  }
  spdlog::info("detached disk {} from VM {}", disk_cid, vm_cid);
}

}  // namespace cpi::disk
