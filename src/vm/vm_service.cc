#include "bosh_libvirt_cpi/vm/vm_service.h"

#include <spdlog/spdlog.h>

#include "bosh_libvirt_cpi/util/ids.h"
#include "bosh_libvirt_cpi/virt/domain.h"
#include "bosh_libvirt_cpi/virt/storage.h"
#include "bosh_libvirt_cpi/vm/domain_spec.h"
#include "bosh_libvirt_cpi/xml/render.h"

namespace cpi::vm {
namespace {

// A title must be one line; libvirt refuses newlines.
std::string OneLine(const std::string& s) {
  std::string out;
  for (char c : s) out.push_back((c == '\n' || c == '\r') ? ' ' : c);
  return out.substr(0, 256);
}

std::string AsText(const nlohmann::json& v) {
  return v.is_string() ? v.get<std::string>() : v.dump();
}

}  // namespace

std::optional<virt::DomainPtr> FindVm(host::Host& host, const std::string& vm_cid) {
  if (!util::IsVmCid(vm_cid)) return std::nullopt;
  return host.FindDomain(vm_cid);
}

virt::DomainPtr RequireVm(host::Host& host, const std::string& vm_cid) {
  std::optional<virt::DomainPtr> dom = FindVm(host, vm_cid);
  if (!dom) throw VmNotFound(vm_cid);
  return std::move(*dom);
}

bool DeleteVm(host::Host& host, const std::string& vm_cid) {
  bool existed = false;
  if (std::optional<virt::DomainPtr> dom = FindVm(host, vm_cid)) {
    existed = true;
    // A destroyed VM needs no unplugging: persistent disks stay as they are, untouched, and are
    // reusable by the next VM.
    virt::DestroyDomain(dom->get(), vm_cid);
    virt::UndefineDomain(dom->get(), vm_cid);
  }
  if (!util::IsVmCid(vm_cid)) return false;
  virStoragePoolPtr pool = host.Pool();
  // "<config>-alt": the config drive's second volume. For API v1 stemcells attach/detach_disk
  // rebuild the drive into the other of the two volumes and swap the CD-ROM media
  // (src/disk/attach.cc), so either may hold it.
  for (const std::string& name : {RootVolumeName(vm_cid), EphemeralVolumeName(vm_cid),
                                  ConfigVolumeName(vm_cid), ConfigVolumeName(vm_cid) + "-alt"}) {
    if (virt::DeleteVolume(pool, name)) spdlog::info("deleted volume '{}'", name);
  }
  return existed;
}

void RebootVm(host::Host& host, const std::string& vm_cid) {
  virt::DomainPtr dom = RequireVm(host, vm_cid);
  switch (virt::GetDomainState(dom.get(), vm_cid)) {
    case virt::DomainState::kShutoff:
    case virt::DomainState::kCrashed:
      virt::StartDomain(dom.get(), vm_cid);
      spdlog::info("started stopped VM '{}'", vm_cid);
      return;
    case virt::DomainState::kPaused:
      virt::ResetDomain(dom.get(), vm_cid);
      virt::ResumeDomain(dom.get(), vm_cid);
      spdlog::info("reset and resumed paused VM '{}'", vm_cid);
      return;
    default:
      // The Director reboots VMs whose agent stopped answering: a guest-cooperative reboot cannot
      // be relied on there, so this is a hard reset (the config drive stays attached).
      virt::ResetDomain(dom.get(), vm_cid);
      spdlog::info("reset VM '{}'", vm_cid);
  }
}

void SetVmMetadata(host::Host& host, const std::string& vm_cid, const nlohmann::json& metadata) {
  virt::DomainPtr dom = RequireVm(host, vm_cid);
  std::string xml = "<metadata>";
  for (auto it = metadata.begin(); it != metadata.end(); ++it) {
    xml += "<entry key=\"" + xml::Escape(it.key()) + "\">" + xml::Escape(AsText(it.value())) +
           "</entry>";
  }
  xml += "</metadata>";
  virt::SetDomainMetadata(dom.get(), xml, "bosh", kBoshMetadataNamespace, vm_cid);

  std::string title;
  if (metadata.contains("name") && metadata["name"].is_string()) {
    title = metadata["name"].get<std::string>();
  } else if (metadata.contains("job") && metadata.contains("index")) {
    title = AsText(metadata["job"]) + "/" + AsText(metadata["index"]);
  }
  if (!title.empty()) {
    if (metadata.contains("deployment") && metadata["deployment"].is_string()) {
      title = metadata["deployment"].get<std::string>() + ": " + title;
    }
    virt::SetDomainTitle(dom.get(), OneLine(title), vm_cid);
  }
}

}  // namespace cpi::vm
