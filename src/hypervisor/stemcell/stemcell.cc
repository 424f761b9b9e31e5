#include "bosh_libvirt_cpi/stemcell/stemcell.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <set>

#include "bosh_libvirt_cpi/errors.h"
#include "bosh_libvirt_cpi/host/domain_xml.h"
#include "bosh_libvirt_cpi/host/rollback.h"
#include "bosh_libvirt_cpi/host/sidecar.h"
#include "bosh_libvirt_cpi/host/volume_xml.h"
#include "bosh_libvirt_cpi/names/names.h"
#include "bosh_libvirt_cpi/util/file_lock.h"
#include "bosh_libvirt_cpi/util/ids.h"
#include "bosh_libvirt_cpi/xml/document.h"
#include "bosh_libvirt_cpi/xml/render.h"

namespace cpi::stemcell {
namespace {

using Clock = std::chrono::steady_clock;

// cloud_properties are a few hundred bytes; anything near this is not ours.
constexpr uint64_t kMaxPropertiesBytes = 1024 * 1024;

double MiB(uint64_t bytes) { return static_cast<double>(bytes) / (1024.0 * 1024.0); }

// Logs an upload's progress at every 10% and at least every 5 seconds.
class Progress {
 public:
  Progress(std::string what, uint64_t total)
      : what_(std::move(what)), total_(total), start_(Clock::now()), last_log_(start_) {}

  void Update(uint64_t done) {
    Clock::time_point now = Clock::now();
    int decile = total_ == 0 ? 10 : static_cast<int>(done * 10 / total_);
    if (decile <= last_decile_ && now - last_log_ < std::chrono::seconds(5)) return;
    last_decile_ = std::max(decile, last_decile_);
    last_log_ = now;
    spdlog::info("{}: {:.0f}% ({} of {} bytes, {:.1f} MiB/s)", what_,
                 total_ == 0 ? 100.0 : 100.0 * static_cast<double>(done) / total_, done, total_,
                 Rate(done, now));
  }

  double Rate(uint64_t done, Clock::time_point now) const {
    double seconds = std::chrono::duration<double>(now - start_).count();
    return seconds > 0 ? MiB(done) / seconds : 0.0;
  }
  double Seconds() const { return std::chrono::duration<double>(Clock::now() - start_).count(); }

 private:
  std::string what_;
  uint64_t total_;
  Clock::time_point start_;
  Clock::time_point last_log_;
  int last_decile_ = 0;
};

// Bytes of the volume's file right after creation (<physical>), 0 when libvirt does not say.
uint64_t PhysicalBytes(const virt::Volume& vol) {
  return host::ReadVolumeXml(vol.Xml(), "volume " + Quote(vol.name())).physical_bytes;
}

// Who depends on a stemcell's base volume.
struct Usage {
  std::vector<std::string> domains;   // VMs whose disks use it (directly or through overlays)
  std::vector<std::string> overlays;  // volumes of the pool backed by it, transitively
};

Usage FindUsage(host::Host& host, const std::string& cid, const std::string& base_path) {
  struct Vol {
    std::string name, path, backing;
  };
  std::vector<Vol> vols;
  for (const virt::VolumeDescription& v : host.Pool().ListVolumes()) {
    host::VolumeTarget target = host::ReadVolumeXml(v.xml, "volume " + Quote(v.name));
    vols.push_back({v.name, target.path, target.backing_path});
  }
  // The base and everything whose backing chain leads to it (overlays of overlays included).
  std::set<std::string> paths = {base_path};
  std::set<std::string> names = {cid};
  Usage usage;
  for (bool grew = true; grew;) {
    grew = false;
    for (const Vol& v : vols) {
      if (!v.backing.empty() && paths.count(v.backing) != 0 && paths.insert(v.path).second) {
        names.insert(v.name);
        usage.overlays.push_back(v.name);
        grew = true;
      }
    }
  }

  std::string pool_prefix = host.pool_name() + "/";
  for (const virt::DomainDescription& d : host.conn().ListDomains()) {
    bool uses = false;
    for (const std::string* text : {&d.config_xml, &d.live_xml}) {
      if (text->empty() || uses) continue;
      host::DiskSources sources =
          host::ReadDiskSources(xml::Document::Parse(*text, "domain " + Quote(d.name)));
      // Disks by file or device path, including the backing chain of a running domain.
      for (const std::string& path : sources.paths) {
        if (paths.count(path) != 0) uses = true;
      }
      // Disks of type='volume' naming a volume of our pool.
      for (const std::string& pool_volume : sources.pool_volumes) {
        if (pool_volume.rfind(pool_prefix, 0) == 0 &&
            names.count(pool_volume.substr(pool_prefix.size())) != 0) {
          uses = true;
        }
      }
    }
    if (uses) usage.domains.push_back(d.name);
  }
  std::sort(usage.domains.begin(), usage.domains.end());
  return usage;
}

std::string QuotedList(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& item : items) out += (out.empty() ? "" : ", ") + Quote(item);
  return out;
}

}  // namespace

std::string VolumeXml(const std::string& name, uint64_t capacity, std::string_view format,
                      const std::string& templates_dir) {
  xml::Data d;
  d.set("name", name);
  d.set("capacity_bytes", std::to_string(capacity));
  d.set("format", std::string(format));
  return xml::Render("volume.xml", d, templates_dir);
}

std::string ImportStemcell(host::Host& host, RootImage& image,
                           const nlohmann::json& cloud_properties, std::string cid) {
  const ImageInfo& info = image.info();
  const std::string& templates_dir = host.config().templates_dir;
  virt::Pool& pool = host.Pool();
  if (cid.empty()) cid = util::NewStemcellCid();
  std::string props_name = names::StemcellPropertiesVolume(cid);
  spdlog::info(
      "importing root.img of {} ({}, {} bytes, virtual size {} bytes) as stemcell {} "
      "in pool {}",
      Quote(image.path()), FormatName(info.format), info.file_size, info.virtual_size, cid,
      Quote(host.pool_name()));

  // On failure both volumes are removed and proved gone, reconnecting if the daemon was lost
  // (host/rollback.h).
  host::WithRollback(host, [&](host::Rollback& undo) {
    // The volume has the image's own format: a raw image stays raw, since qcow2 overlays can back
    // onto raw files as well, and converting would cost a full rewrite of the image.
    std::unique_ptr<virt::Volume> vol = undo.MakeVolume(cid, [&] {
      return pool.CreateVolume(
          VolumeXml(cid, info.virtual_size, FormatName(info.format), templates_dir), cid);
    });

    // virStorageVolUpload writes over the file libvirt created but never truncates it. A new
    // qcow2 volume is an empty qcow2 file (~200 KiB of metadata), which a real image is always
    // larger than; should root.img be smaller, the rest is overwritten with zeros rather than left
    // holding stale metadata. A new raw volume is a sparse file of exactly the image's size.
    uint64_t upload_bytes = info.file_size;
    if (info.format == ImageFormat::kQcow2) {
      upload_bytes = std::max(upload_bytes, PhysicalBytes(*vol));
    }

    // Several hosts import at once in a multi-host config: each line names its host.
    Progress progress(host::StepOn(host.config(), host.spec(), "uploading root.img into " + cid),
                      upload_bytes);
    uint64_t sent = 0;
    virt::ChunkSource source = [&](char* buf, size_t size) -> size_t {
      size_t n = 0;
      try {
        n = image.Read(buf, size);
      } catch (...) {
        cpi::RethrowWithStep("reading image archive");
      }
      if (n == 0 && sent < upload_bytes) {
        n = static_cast<size_t>(std::min<uint64_t>(size, upload_bytes - sent));
        std::memset(buf, 0, n);
      }
      sent += n;
      progress.Update(sent);
      return n;
    };
    // Raw images hold long zero runs (free space): sent as holes, they stay unallocated. A qcow2
    // file has few, and its zero padding (above) must really be written.
    vol->Upload(source, /*sparse=*/info.format == ImageFormat::kRaw);
    spdlog::info("uploaded {} bytes into {} in {:.1f} s", sent, cid, progress.Seconds());

    // The sidecar: a raw volume holding exactly the cloud_properties JSON.
    std::string props = cloud_properties.dump();
    std::unique_ptr<virt::Volume> props_vol = undo.MakeVolume(props_name, [&] {
      return pool.CreateVolume(VolumeXml(props_name, props.size(), "raw", templates_dir),
                               props_name);
    });
    props_vol->UploadBytes(props);
  });
  spdlog::info("created stemcell {}", cid);
  return cid;
}

std::unique_ptr<virt::Volume> FindStemcell(host::Host& host, const std::string& cid) {
  if (!util::IsStemcellCid(cid)) return nullptr;
  return host.FindVolume(cid);
}

std::optional<StemcellImage> DescribeStemcell(host::Host& host, const std::string& cid) {
  std::unique_ptr<virt::Volume> vol = FindStemcell(host, cid);
  if (!vol) return std::nullopt;
  host::VolumeShape shape = host::DescribeVolume(*vol, "volume " + cid);
  return StemcellImage{cid, std::move(shape.path), std::move(shape.format), shape.capacity};
}

std::optional<nlohmann::json> ReadStemcellProperties(host::Host& host, const std::string& cid) {
  if (!FindStemcell(host, cid)) return std::nullopt;
  return host::ReadSidecarJson(host, names::StemcellPropertiesVolume(cid), kMaxPropertiesBytes,
                               "the stemcell's cloud_properties");
}

std::vector<std::string> DomainsUsingStemcell(host::Host& host, const std::string& cid) {
  std::unique_ptr<virt::Volume> vol = FindStemcell(host, cid);
  if (!vol) return {};
  return FindUsage(host, cid, vol->Path()).domains;
}

std::string StemcellLockName(const std::string& cid) { return "stemcell-" + cid; }

DeleteResult DeleteStemcell(host::Host& host, const std::string& cid) {
  if (!util::IsStemcellCid(cid)) return DeleteResult::kNotOurs;
  // Exclusive against create_vm, which holds it shared from before it makes its root overlay on
  // this stemcell until its domain is defined and started: an overlay is never seen here without
  // the domain that is about to use it (docs/ARCHITECTURE.md §6).
  util::FileLock lock(host.config().lock_dir, StemcellLockName(cid));
  virt::Pool& pool = host.Pool();
  // A shared pool holds the overlays of the VMs of every shared host (docs/MULTIHOST.md,
  // "Configuration"): seen only after a refresh, under the lock, so none escapes the usage check.
  if (host.spec().shared) pool.Refresh();
  std::string props_name = names::StemcellPropertiesVolume(cid);
  std::unique_ptr<virt::Volume> vol = host.FindVolume(cid);
  if (!vol) {
    // A delete interrupted between the two volumes leaves the sidecar; finish the job.
    if (pool.DeleteVolume(props_name)) {
      spdlog::info("deleted leftover volume {}", props_name);
    }
    return DeleteResult::kNotFound;
  }

  // Callers assume no VM needs a stemcell they delete (docs/CONTRACT.md §4.3), but a VM's root disk
  // is a qcow2 overlay whose backing file is this volume: deleting it under a VM breaks the VM
  // at its next read of an unchanged block, or at its next start ("Cannot access backing file").
  // Refuse while any domain uses it, so the Director's stemcell cleanup fails visibly instead of
  // corrupting VMs; it succeeds once they are gone.
  Usage usage = FindUsage(host, cid, vol->Path());
  if (!usage.domains.empty()) {
    throw CloudError("the stemcell is still the base of the disks of VM(s) " +
                     QuotedList(usage.domains) + "; delete those VMs first");
  }
  // Overlays of no VM: a create_vm or delete_vm that was killed half-way left them. They are the
  // `cleanup` command's to judge and remove (once older than its minimum age), not this call's:
  // deleting the base under them would turn a leftover cleanup recognises into a broken file.
  if (!usage.overlays.empty()) {
    throw CloudError("the stemcell is still the backing file of volume(s) " +
                     QuotedList(usage.overlays) +
                     " of no VM (left by an interrupted create_vm or delete_vm); "
                     "`bosh-libvirt-cpi cleanup` removes them once they are older than its "
                     "--min-age, then delete the stemcell again");
  }
  pool.DeleteVolume(cid);
  pool.DeleteVolume(props_name);
  spdlog::info("deleted stemcell {}", cid);
  return DeleteResult::kDeleted;
}

}  // namespace cpi::stemcell
