#include "bosh_libvirt_cpi/vm/vm_service.h"

#include <spdlog/spdlog.h>

#include "bosh_libvirt_cpi/names/names.h"
#include "bosh_libvirt_cpi/util/ids.h"
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

std::unique_ptr<virt::Domain> FindVm(host::Host& host, const std::string& vm_cid) {
  if (!util::IsVmCid(vm_cid)) return nullptr;
  return host.FindDomain(vm_cid);
}

std::unique_ptr<virt::Domain> RequireVm(host::Host& host, const std::string& vm_cid) {
  std::unique_ptr<virt::Domain> dom = FindVm(host, vm_cid);
  if (!dom) throw VmNotFound(vm_cid);
  return dom;
}

bool DeleteVm(host::Host& host, const std::string& vm_cid) {
  bool existed = false;
  if (std::unique_ptr<virt::Domain> dom = FindVm(host, vm_cid)) {
    existed = true;
    // A destroyed VM needs no unplugging: persistent disks stay as they are, untouched, and are
    // reusable by the next VM.
    dom->Destroy();
    dom->Undefine();
  }
  if (!util::IsVmCid(vm_cid)) return false;
  virt::Pool& pool = host.Pool();
  // "<config>-alt": the config drive's second volume. For API v1 stemcells attach/detach_disk
  // rebuild the drive into the other of the two volumes and swap the CD-ROM media
  // (src/hypervisor/disk/attach.cc), so either may hold it.
  for (const std::string& name :
       {names::RootVolume(vm_cid), names::EphemeralVolume(vm_cid), names::ConfigVolume(vm_cid),
        names::AlternateConfigVolume(vm_cid)}) {
    if (pool.DeleteVolume(name)) spdlog::info("deleted volume '{}'", name);
  }
  return existed;
}

void RebootVm(host::Host& host, const std::string& vm_cid) {
  std::unique_ptr<virt::Domain> dom = RequireVm(host, vm_cid);
  switch (dom->State()) {
    case virt::DomainState::kShutoff:
    case virt::DomainState::kCrashed:
      dom->Start();
      spdlog::info("started stopped VM '{}'", vm_cid);
      return;
    case virt::DomainState::kPaused:
      dom->Reset();
      dom->Resume();
      spdlog::info("reset and resumed paused VM '{}'", vm_cid);
      return;
    default:
      // The Director reboots VMs whose agent stopped answering: a guest-cooperative reboot cannot
      // be relied on there, so this is a hard reset (the config drive stays attached).
      dom->Reset();
      spdlog::info("reset VM '{}'", vm_cid);
  }
}

void SetVmMetadata(host::Host& host, const std::string& vm_cid, const nlohmann::json& metadata) {
  std::unique_ptr<virt::Domain> dom = RequireVm(host, vm_cid);
  std::string xml = "<metadata>";
  for (auto it = metadata.begin(); it != metadata.end(); ++it) {
    xml += "<entry key=\"" + xml::Escape(it.key()) + "\">" + xml::Escape(AsText(it.value())) +
           "</entry>";
  }
  xml += "</metadata>";
  dom->SetMetadata(xml, "bosh", kBoshMetadataNamespace);

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
    dom->SetTitle(OneLine(title));
  }
}

}  // namespace cpi::vm
