#include "bosh_libvirt_cpi/disk/volumes.h"

#include <algorithm>

#include "bosh_libvirt_cpi/errors.h"
#include "bosh_libvirt_cpi/util/scoped_cleanup.h"
#include "bosh_libvirt_cpi/xml/render.h"

namespace cpi::disk {

std::string DiskVolumeXml(const std::string& name, uint64_t capacity_bytes,
                          const std::string& format, const std::string& templates_dir) {
  xml::Data d;
  d.set("name", name);
  d.set("capacity_bytes", std::to_string(capacity_bytes));
  d.set("format", format);
  d.set("qcow2", format == "qcow2");
  return xml::Render("disk-volume.xml", d, templates_dir);
}

void WriteBytesVolume(host::Host& host, const std::string& name, const std::string& text) {
  if (text.size() > kMaxSidecarBytes) {
    throw CpiError("metadata of " + std::to_string(text.size()) + " bytes is too large (at most " +
                   std::to_string(kMaxSidecarBytes) + ")");
  }
  virt::Pool& pool = host.Pool();
  pool.DeleteVolume(name);
  std::unique_ptr<virt::Volume> vol =
      pool.CreateVolume(DiskVolumeXml(name, text.size(), "raw", host.config().templates_dir), name);
  util::ScopedCleanup undo;
  undo.Add([&pool, name] { pool.DeleteVolume(name); });
  vol->UploadBytes(text);
  undo.Cancel();
}

void WriteJsonVolume(host::Host& host, const std::string& name, const nlohmann::json& value) {
  WriteBytesVolume(host, name, value.dump());
}

// The CID already reads "disk-<hex>".
std::string DiskLockName(const std::string& disk_cid) { return disk_cid; }
std::string DomainLockName(const std::string& vm_cid) { return "domain-" + vm_cid; }

}  // namespace cpi::disk
