#include "bosh_libvirt_cpi/virt/inventory.h"

#include <libvirt/virterror.h>

#include <optional>

#include "bosh_libvirt_cpi/virt/error.h"

namespace cpi::virt {
namespace {

// The XML libvirt gives for one object, or nullopt when the object vanished meanwhile.
std::optional<std::string> XmlOrGone(char* xml, int gone_code, const std::string& what) {
  if (xml != nullptr) {
    CString owned(xml);
    return std::string(owned.get());
  }
  virErrorPtr e = virGetLastError();
  if (e != nullptr && e->code == gone_code) {
    virResetLastError();
    return std::nullopt;
  }
  throw Error::Last(what);
}

}  // namespace

std::vector<VolumeDescription> ListVolumeDescriptions(virStoragePoolPtr pool,
                                                      const std::string& pool_name) {
  virStorageVolPtr* raw = nullptr;
  int n = virStoragePoolListAllVolumes(pool, &raw, 0);
  if (n < 0) throw Error::Last("listing volumes of pool '" + pool_name + "'");
  std::vector<StorageVolPtr> vols;
  for (int i = 0; i < n; ++i) vols.emplace_back(raw[i]);
  free(raw);

  std::vector<VolumeDescription> out;
  for (const StorageVolPtr& vol : vols) {
    const char* name = virStorageVolGetName(vol.get());
    std::string vol_name = name != nullptr ? name : "";
    std::optional<std::string> xml =
        XmlOrGone(virStorageVolGetXMLDesc(vol.get(), 0), VIR_ERR_NO_STORAGE_VOL,
                  "reading volume '" + vol_name + "'");
    if (xml) out.push_back({vol_name, std::move(*xml)});
  }
  return out;
}

std::vector<DomainDescription> ListDomainDescriptions(virConnectPtr conn) {
  virDomainPtr* raw = nullptr;
  int n = virConnectListAllDomains(conn, &raw, 0);
  if (n < 0) throw Error::Last("listing domains");
  std::vector<DomainPtr> doms;
  for (int i = 0; i < n; ++i) doms.emplace_back(raw[i]);
  free(raw);

  std::vector<DomainDescription> out;
  for (const DomainPtr& dom : doms) {
    const char* name = virDomainGetName(dom.get());
    DomainDescription d{name != nullptr ? name : "", "", ""};
    std::string what = "reading domain '" + d.name + "'";
    int persistent = virDomainIsPersistent(dom.get());
    int active = virDomainIsActive(dom.get());
    if (persistent < 0 || active < 0) {
      virErrorPtr e = virGetLastError();
      if (e != nullptr && e->code == VIR_ERR_NO_DOMAIN) {
        virResetLastError();
        continue;
      }
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

}  // namespace cpi::virt
