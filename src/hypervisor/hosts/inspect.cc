// `bosh-libvirt-cpi hosts`, the module half: each host's facts through the virt interface.
#include <exception>
#include <stdexcept>
#include <system_error>
#include <thread>

#include "bosh_libvirt_cpi/hosts/inspect.h"
#include "bosh_libvirt_cpi/util/ids.h"
#include "bosh_libvirt_cpi/util/uri.h"

namespace cpi::hosts {
namespace {

void Read(const config::Libvirt& settings, const Connector& connect, Status& status) {
  std::unique_ptr<virt::Connection> conn;
  try {
    conn = connect(settings);
  } catch (const std::exception& e) {
    status.error = e.what();
    return;
  }
  status.reachable = true;
  // Each fact on its own: a host that answers but lacks its pool still shows its memory.
  auto fact = [&](const char* what, const std::function<void()>& read) {
    try {
      read();
    } catch (const std::exception& e) {
      if (status.error.empty()) status.error = std::string(what) + ": " + e.what();
    }
  };
  fact("versions", [&] {
    status.libvirt_version = conn->LibraryVersion();
    status.hypervisor_version = conn->HypervisorVersion();
  });
  fact("free memory", [&] { status.free_memory_bytes = conn->FreeMemoryBytes(); });
  fact("storage pool", [&] {
    std::unique_ptr<virt::Pool> pool = conn->FindPool(settings.storage_pool);
    if (!pool) throw std::runtime_error("storage pool '" + settings.storage_pool + "' not found");
    virt::PoolSpace space = pool->Space();
    status.pool_capacity_bytes = space.capacity;
    status.pool_available_bytes = space.available;
  });
  fact("domains", [&] {
    int vms = 0;
    for (const virt::DomainDescription& d :
         conn->ListDomainDefinitions([](const std::string&) { return false; })) {
      if (util::IsVmCid(d.name)) ++vms;
    }
    status.vms = vms;
  });
}

}  // namespace

std::vector<Status> Inspect(const config::Config& config, const Connector& connect) {
  std::vector<const config::HostConfig*> specs = config::AllHosts(config);
  std::vector<Status> out(specs.size());
  std::vector<std::thread> threads;
  for (size_t i = 0; i < specs.size(); ++i) {
    const config::Libvirt& settings = config::SettingsOf(config, *specs[i]);
    Status& s = out[i];
    s.name = specs[i]->name;
    s.key = specs[i]->key;
    s.az = specs[i]->az;
    s.uri = util::RedactUri(settings.uri);
    s.pool = settings.storage_pool;
    try {
      threads.emplace_back([&settings, &connect, &s] { Read(settings, connect, s); });
    } catch (const std::system_error&) {
      Read(settings, connect, s);  // no thread to spare: one after the other
    }
  }
  for (std::thread& t : threads) t.join();
  return out;
}

}  // namespace cpi::hosts
