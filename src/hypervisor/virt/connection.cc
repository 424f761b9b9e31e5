#include "bosh_libvirt_cpi/virt/connection.h"

#include <libvirt/virterror.h>

#include "bosh_libvirt_cpi/virt/error.h"

namespace cpi::virt {
namespace {

// Runs a lookup; "no such object" becomes nullopt, anything else throws.
template <typename Ptr, typename Raw>
std::optional<Ptr> Lookup(Raw raw, int not_found_code, const std::string& what) {
  if (raw != nullptr) return Ptr(raw);
  if (TakeLastErrorIf(not_found_code)) return std::nullopt;
  throw Error::Last(what);
}

}  // namespace

RawConnection RawConnection::Open(const std::string& uri, int timeout_seconds) {
  return RawConnection(OpenConnection(uri, timeout_seconds), uri);
}

std::string FormatVersion(unsigned long version) {
  return std::to_string(version / 1000000) + "." + std::to_string(version / 1000 % 1000) + "." +
         std::to_string(version % 1000);
}

std::string RawConnection::LibraryVersion() const {
  unsigned long v = 0;
  if (virConnectGetLibVersion(conn_.get(), &v) < 0) throw Error::Last("reading libvirt version");
  return FormatVersion(v);
}

std::string RawConnection::HypervisorVersion() const {
  unsigned long v = 0;
  if (virConnectGetVersion(conn_.get(), &v) < 0) throw Error::Last("reading hypervisor version");
  return FormatVersion(v);
}

uint64_t RawConnection::FreeMemoryBytes() const {
  unsigned long long free_bytes = virNodeGetFreeMemory(conn_.get());
  // 0 is libvirt's failure value; a host with no free memory at all reads as 0 too.
  if (free_bytes == 0 && virGetLastError() != nullptr) {
    throw Error::Last("reading the host's free memory");
  }
  return free_bytes;
}

std::optional<DomainPtr> RawConnection::FindDomain(const std::string& name) const {
  return Lookup<DomainPtr>(virDomainLookupByName(conn_.get(), name.c_str()), VIR_ERR_NO_DOMAIN,
                           "looking up domain '" + name + "'");
}

std::optional<StoragePoolPtr> RawConnection::FindStoragePool(const std::string& name) const {
  return Lookup<StoragePoolPtr>(virStoragePoolLookupByName(conn_.get(), name.c_str()),
                                VIR_ERR_NO_STORAGE_POOL, "looking up storage pool '" + name + "'");
}

std::optional<NetworkPtr> RawConnection::FindNetwork(const std::string& name) const {
  return Lookup<NetworkPtr>(virNetworkLookupByName(conn_.get(), name.c_str()), VIR_ERR_NO_NETWORK,
                            "looking up network '" + name + "'");
}

std::optional<StorageVolPtr> RawConnection::FindVolume(virStoragePoolPtr pool,
                                                       const std::string& name) const {
  return Lookup<StorageVolPtr>(virStorageVolLookupByName(pool, name.c_str()),
                               VIR_ERR_NO_STORAGE_VOL, "looking up volume '" + name + "'");
}

bool RawConnection::OffersKvm() const {
  CString caps(virConnectGetDomainCapabilities(conn_.get(), nullptr, "x86_64", nullptr, "kvm", 0));
  if (!caps) {
    virResetLastError();
    return false;
  }
  return true;
}

std::string RawConnection::CapabilitiesXml() const {
  CString caps(virConnectGetCapabilities(conn_.get()));
  if (!caps) throw Error::Last("reading host capabilities");
  return caps.get();
}

bool PoolActive(virStoragePoolPtr pool, const std::string& name) {
  int active = virStoragePoolIsActive(pool);
  if (active < 0) throw Error::Last("checking storage pool '" + name + "'");
  return active == 1;
}

}  // namespace cpi::virt
