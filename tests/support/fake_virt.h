#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "bosh_libvirt_cpi/config/config.h"
#include "bosh_libvirt_cpi/host/host.h"
#include "bosh_libvirt_cpi/virt/objects.h"

namespace cpi::testing {

// A hypervisor held in memory, behind the virt::Connection of FakeConnection(): one storage pool,
// its volumes, domains and network names. Every call that changes something is recorded in
// `calls`, in order, as one line ("create_volume vm-…-root", "start_domain vm-…",
// "attach_device vm-… live"); reads are not recorded. A call whose line matches one of the regular
// expressions in `fail` is recorded, then throws virt::Error instead of acting, so tests can fail
// any step and check what the service undid and in which order (ninja's FakeCommandRunner style).
struct FakeHypervisor {
  struct Volume {
    std::string path;
    std::string format = "raw";
    std::string backing_path;
    uint64_t capacity = 0;
    std::string content;
  };
  struct Domain {
    std::string config_xml;
    std::string live_xml;                         // empty unless running
    std::map<std::string, std::string> metadata;  // by namespace URI
  };

  std::string uri = "fake:///system";
  std::string pool_name = "fake-pool";
  std::string pool_dir = "/fake/pool";
  std::map<std::string, Volume> volumes;
  std::map<std::string, Domain> domains;
  std::set<std::string> networks = {"default"};

  std::vector<std::string> calls;
  std::vector<std::string> fail;  // ECMAScript regular expressions, searched in each call line
  // A call matching one of these acts, then the daemon is lost: every later call is recorded and
  // throws a transient virt::Error until FakeReconnect succeeds, which it does after refusing
  // `refuse_connects` attempts (each recorded as "connect").
  std::vector<std::string> lose_connection_after;
  bool connection_lost = false;
  int refuse_connects = 0;
  std::vector<std::string> definitions_read;  // domains whose definition a listing read

  // Host facts (virt::Connection::FreeMemoryBytes, versions; Pool::Space: capacity, with the
  // volumes' content as allocation).
  uint64_t free_memory = 8ull << 30;
  uint64_t pool_capacity = 100ull << 30;
  std::string library_version = "9.0.0";
  std::string hypervisor_version = "7.2.0";
  // Streams: DownloadTo hands out data in pieces of at most `chunk` bytes; UploadFrom counts the
  // hole bytes it received.
  size_t chunk = 64 * 1024;
  uint64_t holes_received = 0;

  // Adds a volume as if some earlier call had made it; returns its path.
  std::string AddVolume(const std::string& name, uint64_t capacity,
                        const std::string& format = "raw", const std::string& backing_path = "");
  // Records `call`; throws virt::Error when it matches an entry of `fail`.
  void Record(const std::string& call);
  // A read that can fail: not recorded, but throws like Record when `call` matches `fail` or the
  // connection is lost.
  void Read(const std::string& call) const;
  // The calls recorded whose line starts with `prefix`.
  std::vector<std::string> CallsStartingWith(const std::string& prefix) const;
  // The volume XML libvirt would report.
  std::string VolumeXml(const std::string& name) const;
};

// A connection to `hypervisor`, which must outlive it and every object it hands out.
std::unique_ptr<virt::Connection> FakeConnection(FakeHypervisor& hypervisor);
// A new connection after a lost one (host::Host::Connector): see lose_connection_after.
std::unique_ptr<virt::Connection> FakeReconnect(FakeHypervisor& hypervisor);

// What a service test needs: a fake hypervisor, a CPI configuration naming its URI and pool, and
// a lock folder of its own (removed on destruction).
struct FakeWorld {
  FakeWorld();
  ~FakeWorld();
  FakeWorld(const FakeWorld&) = delete;
  FakeWorld& operator=(const FakeWorld&) = delete;

  // A host over a new connection to `hv`, as an action opens one per call.
  host::Host OpenHost() {
    return host::Host(config, FakeConnection(hv), [this] { return FakeReconnect(hv); });
  }

  FakeHypervisor hv;
  std::filesystem::path lock_dir;
  config::Config config;
};

// Several fake hypervisors behind a multi-host configuration (docs/MULTIHOST.md): host i is
// named "kvm-<letter>" with key "g<letter>" and its own FakeHypervisor hvs[i] (URI
// fake://kvm-<letter>/system). Hosts named in `down` do not answer: opening them throws a
// transient virt::Error, as a connect to a host that is off does. Each hypervisor is used by one
// thread at a time as long as every thread opens a different host.
struct FakeCloud {
  explicit FakeCloud(size_t hosts);
  ~FakeCloud();
  FakeCloud(const FakeCloud&) = delete;
  FakeCloud& operator=(const FakeCloud&) = delete;

  // Opens host `spec` of `config` (stemcell::HostOpener), recording "connect" on its hypervisor.
  host::Host Open(const config::HostConfig& spec);
  host::Host Open(size_t i) { return Open(config.hosts.at(i)); }
  std::function<host::Host(const config::HostConfig&)> Opener() {
    return [this](const config::HostConfig& spec) { return Open(spec); };
  }

  std::vector<std::unique_ptr<FakeHypervisor>> hvs;
  // The hypervisor host i talks to (i unless changed): hosts given the same one see the same
  // volumes, as `shared` hosts see one storage.
  std::vector<size_t> hypervisor_of;
  std::set<std::string> down;
  std::filesystem::path lock_dir;
  config::Config config;
};

}  // namespace cpi::testing
