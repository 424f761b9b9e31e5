#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "bosh_libvirt_cpi/virt/handles.h"
#include "bosh_libvirt_cpi/virt/objects.h"

namespace cpi::virt {

// An open connection to one libvirt daemon, with its raw handle: the layer under virt::Connect
// (objects.h), which the services use. Only src/hypervisor/virt/ and the tests that build and
// inspect their own libvirt worlds use this one.
class RawConnection {
 public:
  // Opens `uri` (qemu:///system, qemu+ssh://..., test:///default) within `timeout_seconds`, with
  // keepalive probes after it (virt::Connect, objects.h). Throws virt::Error.
  static RawConnection Open(const std::string& uri, int timeout_seconds = kDefaultTimeoutSeconds);

  virConnectPtr get() const { return conn_.get(); }
  const std::string& uri() const { return uri_; }

  // The libvirt version of the daemon at the other end and the hypervisor's (QEMU's) version, as
  // "major.minor.micro".
  std::string LibraryVersion() const;
  std::string HypervisorVersion() const;
  // The host's free memory in bytes (virNodeGetFreeMemory).
  uint64_t FreeMemoryBytes() const;

  // nullopt when no such object exists; other failures throw virt::Error.
  std::optional<DomainPtr> FindDomain(const std::string& name) const;
  std::optional<StoragePoolPtr> FindStoragePool(const std::string& name) const;
  std::optional<NetworkPtr> FindNetwork(const std::string& name) const;
  std::optional<StorageVolPtr> FindVolume(virStoragePoolPtr pool, const std::string& name) const;

  // Whether libvirt offers type='kvm' domains for x86_64 here.
  bool OffersKvm() const;
  // The host capabilities XML (virConnectGetCapabilities).
  std::string CapabilitiesXml() const;

 private:
  RawConnection(ConnectPtr conn, std::string uri) : conn_(std::move(conn)), uri_(std::move(uri)) {}

  ConnectPtr conn_;
  std::string uri_;
};

// Whether the pool is running. Throws virt::Error.
bool PoolActive(virStoragePoolPtr pool, const std::string& name);

// Opens a connection to `uri`, giving up after `timeout_seconds` with a transient virt::Error
// (VIR_ERR_OPERATION_TIMEOUT) when the daemon does not answer; then turns on keepalive probes
// that close the connection when its peer stops answering for about as long. Registers and runs
// libvirt's event loop (which keepalive needs) on first use. A thread given up on is counted in
// util::AbandonedThreads() until its virConnectOpen returns. src/hypervisor/virt/open.cc.
ConnectPtr OpenConnection(const std::string& uri, int timeout_seconds);

// "major.minor.micro" from libvirt's packed version number.
std::string FormatVersion(unsigned long version);

}  // namespace cpi::virt
