#include "bosh_libvirt_cpi/virt/domain.h"

#include <libvirt/virterror.h>

#include "bosh_libvirt_cpi/errors.h"
#include "bosh_libvirt_cpi/virt/error.h"

namespace cpi::virt {
namespace {

bool LastErrorIs(int code) {
  virErrorPtr e = virGetLastError();
  return e != nullptr && e->code == code;
}

// The XML libvirt gives for one object, or nullopt when the object vanished meanwhile
// (`gone_code`).
std::optional<std::string> XmlOrGone(char* xml, int gone_code, const std::string& what) {
  if (xml != nullptr) return std::string(CString(xml).get());
  if (TakeLastErrorIf(gone_code)) return std::nullopt;
  throw Error::Last(what);
}

}  // namespace

DomainPtr DefineDomain(virConnectPtr conn, const std::string& xml, const std::string& name) {
  virDomainPtr dom = virDomainDefineXMLFlags(conn, xml.c_str(), VIR_DOMAIN_DEFINE_VALIDATE);
  if (dom == nullptr) throw Error::Last("defining domain " + Quote(name));
  return DomainPtr(dom);
}

void StartDomain(virDomainPtr dom, const std::string& name) {
  if (virDomainCreate(dom) < 0) throw Error::Last("starting domain " + Quote(name));
}

void DestroyDomain(virDomainPtr dom, const std::string& name) {
  if (virDomainDestroy(dom) == 0) return;
  // Not running, or already gone.
  if (TakeLastErrorIf(VIR_ERR_OPERATION_INVALID) || TakeLastErrorIf(VIR_ERR_NO_DOMAIN)) return;
  throw Error::Last("powering off domain " + Quote(name));
}

void UndefineDomain(virDomainPtr dom, const std::string& name) {
  const unsigned int attempts[] = {
      VIR_DOMAIN_UNDEFINE_MANAGED_SAVE | VIR_DOMAIN_UNDEFINE_NVRAM |
          VIR_DOMAIN_UNDEFINE_SNAPSHOTS_METADATA | VIR_DOMAIN_UNDEFINE_CHECKPOINTS_METADATA,
      VIR_DOMAIN_UNDEFINE_MANAGED_SAVE | VIR_DOMAIN_UNDEFINE_SNAPSHOTS_METADATA, 0};
  for (unsigned int flags : attempts) {
    if (virDomainUndefineFlags(dom, flags) == 0) return;
    if (TakeLastErrorIf(VIR_ERR_NO_DOMAIN)) return;
    if (!LastErrorIs(VIR_ERR_INVALID_ARG) && !LastErrorIs(VIR_ERR_NO_SUPPORT)) break;
  }
  throw Error::Last("undefining domain " + Quote(name));
}

void ResetDomain(virDomainPtr dom, const std::string& name) {
  if (virDomainReset(dom, 0) < 0) throw Error::Last("resetting domain " + Quote(name));
}

void ResumeDomain(virDomainPtr dom, const std::string& name) {
  if (virDomainResume(dom) < 0) throw Error::Last("resuming domain " + Quote(name));
}

DomainState GetDomainState(virDomainPtr dom, const std::string& name) {
  int state = 0, reason = 0;
  if (virDomainGetState(dom, &state, &reason, 0) < 0) {
    throw Error::Last("reading state of domain " + Quote(name));
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
  if (active < 0) throw Error::Last("reading state of domain " + Quote(name));
  return active == 1;
}

std::string DomainName(virDomainPtr dom) {
  const char* name = virDomainGetName(dom);
  return name ? name : "";
}

std::string DomainXml(virDomainPtr dom, const std::string& name, bool inactive) {
  CString xml(virDomainGetXMLDesc(dom, inactive ? VIR_DOMAIN_XML_INACTIVE : 0));
  if (!xml) throw Error::Last("reading definition of domain " + Quote(name));
  return xml.get();
}

void SetDomainMetadata(virDomainPtr dom, const std::string& xml, const std::string& key,
                       const std::string& uri, const std::string& name) {
  unsigned int flags = VIR_DOMAIN_AFFECT_CONFIG;
  if (DomainActive(dom, name)) flags |= VIR_DOMAIN_AFFECT_LIVE;
  if (virDomainSetMetadata(dom, VIR_DOMAIN_METADATA_ELEMENT, xml.empty() ? nullptr : xml.c_str(),
                           key.c_str(), uri.c_str(), flags) < 0) {
    throw Error::Last("storing metadata of domain " + Quote(name));
  }
}

std::optional<std::string> GetDomainMetadata(virDomainPtr dom, const std::string& uri,
                                             const std::string& name) {
  CString xml(virDomainGetMetadata(dom, VIR_DOMAIN_METADATA_ELEMENT, uri.c_str(),
                                   VIR_DOMAIN_AFFECT_CONFIG));
  if (xml) return std::string(xml.get());
  if (TakeLastErrorIf(VIR_ERR_NO_DOMAIN_METADATA)) return std::nullopt;
  throw Error::Last("reading metadata of domain " + Quote(name));
}

void SetDomainTitle(virDomainPtr dom, const std::string& title, const std::string& name) {
  unsigned int flags = VIR_DOMAIN_AFFECT_CONFIG;
  if (DomainActive(dom, name)) flags |= VIR_DOMAIN_AFFECT_LIVE;
  if (virDomainSetMetadata(dom, VIR_DOMAIN_METADATA_TITLE, title.c_str(), nullptr, nullptr, flags) <
      0) {
    throw Error::Last("setting title of domain " + Quote(name));
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

std::vector<DomainDescription> ListDomainDescriptions(virConnectPtr conn) {
  std::vector<DomainDescription> out;
  for (const DomainPtr& dom : ListAllDomains(conn)) {
    DomainDescription d{DomainName(dom.get()), "", ""};
    std::string what = "reading domain " + Quote(d.name);
    int persistent = virDomainIsPersistent(dom.get());
    int active = virDomainIsActive(dom.get());
    if (persistent < 0 || active < 0) {
      if (TakeLastErrorIf(VIR_ERR_NO_DOMAIN)) continue;
      throw Error::Last(what);
    }
    if (persistent == 1) {
      std::optional<std::string> xml = XmlOrGone(
          virDomainGetXMLDesc(dom.get(), VIR_DOMAIN_XML_INACTIVE), VIR_ERR_NO_DOMAIN, what);
      if (!xml) continue;
      d.config_xml = std::move(*xml);
    }
    if (active == 1) {
      std::optional<std::string> xml =
          XmlOrGone(virDomainGetXMLDesc(dom.get(), 0), VIR_ERR_NO_DOMAIN, what);
      // A domain that stopped meanwhile keeps its definition.
      if (xml) d.live_xml = std::move(*xml);
    }
    out.push_back(std::move(d));
  }
  return out;
}

std::optional<DomainPtr> FindDomainByUuid(virConnectPtr conn, const std::string& uuid) {
  virDomainPtr dom = virDomainLookupByUUIDString(conn, uuid.c_str());
  if (dom != nullptr) return DomainPtr(dom);
  if (TakeLastErrorIf(VIR_ERR_NO_DOMAIN)) return std::nullopt;
  throw Error::Last("looking up domain by UUID '" + uuid + "'");
}

}  // namespace cpi::virt
