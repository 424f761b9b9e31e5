#include "bosh_libvirt_cpi/virt/domain.h"

#include <libvirt/virterror.h>

#include "bosh_libvirt_cpi/virt/error.h"

namespace cpi::virt {
namespace {

std::string Q(const std::string& name) { return "'" + name + "'"; }

bool LastErrorIs(int code) {
  virErrorPtr e = virGetLastError();
  return e != nullptr && e->code == code;
}

}  // namespace

DomainPtr DefineDomain(virConnectPtr conn, const std::string& xml, const std::string& name) {
  virDomainPtr dom = virDomainDefineXMLFlags(conn, xml.c_str(), VIR_DOMAIN_DEFINE_VALIDATE);
  if (dom == nullptr) throw Error::Last("defining domain " + Q(name));
  return DomainPtr(dom);
}

void StartDomain(virDomainPtr dom, const std::string& name) {
  if (virDomainCreate(dom) < 0) throw Error::Last("starting domain " + Q(name));
}

void DestroyDomain(virDomainPtr dom, const std::string& name) {
  if (virDomainDestroy(dom) == 0) return;
  if (LastErrorIs(VIR_ERR_OPERATION_INVALID) || LastErrorIs(VIR_ERR_NO_DOMAIN)) {
    virResetLastError();  // not running / already gone
    return;
  }
  throw Error::Last("powering off domain " + Q(name));
}

void UndefineDomain(virDomainPtr dom, const std::string& name) {
  const unsigned int attempts[] = {
      VIR_DOMAIN_UNDEFINE_MANAGED_SAVE | VIR_DOMAIN_UNDEFINE_NVRAM |
          VIR_DOMAIN_UNDEFINE_SNAPSHOTS_METADATA | VIR_DOMAIN_UNDEFINE_CHECKPOINTS_METADATA,
      VIR_DOMAIN_UNDEFINE_MANAGED_SAVE | VIR_DOMAIN_UNDEFINE_SNAPSHOTS_METADATA, 0};
  for (unsigned int flags : attempts) {
    if (virDomainUndefineFlags(dom, flags) == 0) return;
    if (LastErrorIs(VIR_ERR_NO_DOMAIN)) {
      virResetLastError();
      return;
    }
    if (!LastErrorIs(VIR_ERR_INVALID_ARG) && !LastErrorIs(VIR_ERR_NO_SUPPORT)) break;
  }
  throw Error::Last("undefining domain " + Q(name));
}

void ResetDomain(virDomainPtr dom, const std::string& name) {
  if (virDomainReset(dom, 0) < 0) throw Error::Last("resetting domain " + Q(name));
}

void ResumeDomain(virDomainPtr dom, const std::string& name) {
  if (virDomainResume(dom) < 0) throw Error::Last("resuming domain " + Q(name));
}

DomainState GetDomainState(virDomainPtr dom, const std::string& name) {
  int state = 0, reason = 0;
  if (virDomainGetState(dom, &state, &reason, 0) < 0) {
    throw Error::Last("reading state of domain " + Q(name));
  }
  switch (state) {
    case VIR_DOMAIN_RUNNING:
      return DomainState::kRunning;
    case VIR_DOMAIN_PAUSED:
    case VIR_DOMAIN_PMSUSPENDED:
      return DomainState::kPaused;
    case VIR_DOMAIN_SHUTOFF:
      return DomainState::kShutoff;
    case VIR_DOMAIN_CRASHED:
      return DomainState::kCrashed;
    default:
      return DomainState::kOther;
  }
}

bool DomainActive(virDomainPtr dom, const std::string& name) {
  int active = virDomainIsActive(dom);
  if (active < 0) throw Error::Last("reading state of domain " + Q(name));
  return active == 1;
}

std::string DomainName(virDomainPtr dom) {
  const char* name = virDomainGetName(dom);
  return name ? name : "";
}

std::string DomainXml(virDomainPtr dom, const std::string& name, bool inactive) {
  CString xml(virDomainGetXMLDesc(dom, inactive ? VIR_DOMAIN_XML_INACTIVE : 0));
  if (!xml) throw Error::Last("reading definition of domain " + Q(name));
  return xml.get();
}

void SetDomainMetadata(virDomainPtr dom, const std::string& xml, const std::string& key,
                       const std::string& uri, const std::string& name) {
  unsigned int flags = VIR_DOMAIN_AFFECT_CONFIG;
  if (DomainActive(dom, name)) flags |= VIR_DOMAIN_AFFECT_LIVE;
  if (virDomainSetMetadata(dom, VIR_DOMAIN_METADATA_ELEMENT, xml.empty() ? nullptr : xml.c_str(),
                           key.c_str(), uri.c_str(), flags) < 0) {
    throw Error::Last("storing metadata of domain " + Q(name));
  }
}

std::optional<std::string> GetDomainMetadata(virDomainPtr dom, const std::string& uri,
                                             const std::string& name) {
  CString xml(virDomainGetMetadata(dom, VIR_DOMAIN_METADATA_ELEMENT, uri.c_str(),
                                   VIR_DOMAIN_AFFECT_CONFIG));
  if (xml) return std::string(xml.get());
  if (LastErrorIs(VIR_ERR_NO_DOMAIN_METADATA)) {
    virResetLastError();
    return std::nullopt;
  }
  throw Error::Last("reading metadata of domain " + Q(name));
}

void SetDomainTitle(virDomainPtr dom, const std::string& title, const std::string& name) {
  unsigned int flags = VIR_DOMAIN_AFFECT_CONFIG;
  if (DomainActive(dom, name)) flags |= VIR_DOMAIN_AFFECT_LIVE;
  if (virDomainSetMetadata(dom, VIR_DOMAIN_METADATA_TITLE, title.c_str(), nullptr, nullptr, flags) <
      0) {
    throw Error::Last("setting title of domain " + Q(name));
  }
}

std::vector<DomainPtr> ListAllDomains(virConnectPtr conn) {
  virDomainPtr* raw = nullptr;
  int n = virConnectListAllDomains(conn, &raw, 0);
  if (n < 0) throw Error::Last("listing domains");
  std::vector<DomainPtr> out;
  for (int i = 0; i < n; ++i) out.emplace_back(raw[i]);
  free(raw);
  return out;
}

std::optional<DomainPtr> FindDomainByUuid(virConnectPtr conn, const std::string& uuid) {
  virDomainPtr dom = virDomainLookupByUUIDString(conn, uuid.c_str());
  if (dom != nullptr) return DomainPtr(dom);
  if (LastErrorIs(VIR_ERR_NO_DOMAIN)) {
    virResetLastError();
    return std::nullopt;
  }
  throw Error::Last("looking up domain by UUID '" + uuid + "'");
}

}  // namespace cpi::virt
