#include "bosh_libvirt_cpi/host/placement.h"

#include <algorithm>
#include <filesystem>
#include <system_error>
#include <thread>

#include <spdlog/spdlog.h>

#include "bosh_libvirt_cpi/errors.h"
#include "bosh_libvirt_cpi/util/ids.h"
#include "bosh_libvirt_cpi/util/uri.h"

namespace cpi::host {
namespace {

constexpr char kPlacementLock[] = "placement";

std::string Names(const std::vector<const config::HostConfig*>& hosts) {
  std::string out;
  for (const config::HostConfig* h : hosts) out += (out.empty() ? "" : ", ") + h->name;
  return out;
}

// The hosts holding the disks: one host, or (disks on shared storage) every shared host.
std::vector<const config::HostConfig*> DiskHosts(const config::Config& config,
                                                 const std::vector<std::string>& disk_cids) {
  std::vector<const config::HostConfig*> hosts;
  for (const std::string& cid : disk_cids) {
    const config::HostConfig* h = &HostOf(config, cid);
    if (std::find(hosts.begin(), hosts.end(), h) == hosts.end()) hosts.push_back(h);
  }
  if (hosts.size() <= 1) return hosts;
  bool all_shared = std::all_of(hosts.begin(), hosts.end(),
                                [](const config::HostConfig* h) { return h->shared; });
  if (!all_shared) {
    throw CloudError("the VM's persistent disks are on different hosts (" + Names(hosts) +
                     ") whose pools are not shared; a VM can only use disks of its own host");
  }
  std::vector<const config::HostConfig*> shared;
  for (const config::HostConfig& h : config.hosts) {
    if (h.shared) shared.push_back(&h);
  }
  return shared;
}

// Live reservations on `host` in MiB; removes those of processes that are gone.
int64_t ReservedMib(const std::string& lock_dir, const std::string& host) {
  std::string prefix = "reserve-" + host + "-";
  int64_t total = 0;
  std::error_code ec;
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(lock_dir, ec)) {
    std::string file = entry.path().filename().string();
    if (file.rfind(prefix, 0) != 0 || file.size() < 5 ||
        file.compare(file.size() - 5, 5, ".lock") != 0) {
      continue;
    }
    names.push_back(file.substr(0, file.size() - 5));
  }
  for (const std::string& name : names) {
    if (util::FileLock::TryExclusive(lock_dir, name)) continue;  // stale: removed on release
    std::string rest = name.substr(prefix.size());
    try {
      total += std::stoll(rest.substr(0, rest.find('-')));
    } catch (const std::exception&) {
      spdlog::warn("placement: ignoring reservation {} (no size)", name);
    }
  }
  return total;
}

}  // namespace

std::vector<const config::HostConfig*> Candidates(const config::Config& config,
                                                  const PlacementRequest& request) {
  std::vector<const config::HostConfig*> candidates = config::AllHosts(config);
  if (!request.host.empty()) {
    const config::HostConfig* named = config::HostNamed(config, request.host);
    if (named == nullptr) {
      throw CloudError("cloud_properties name host " + Quote(request.host) +
                       ", which the CPI config does not have (hosts: " + Names(candidates) + ")");
    }
    candidates = {named};
  }
  if (!request.az.empty()) {
    std::vector<const config::HostConfig*> in_az;
    for (const config::HostConfig* h : candidates) {
      if (h->az == request.az) in_az.push_back(h);
    }
    if (in_az.empty()) {
      std::string azs;
      for (const config::HostConfig& h : config.hosts) {
        azs += (azs.empty() ? "" : ", ") + h.name + "=" + (h.az.empty() ? "(none)" : h.az);
      }
      throw CloudError("no host " +
                       (request.host.empty() ? std::string() : Quote(request.host) + " ") +
                       "serves AZ " + Quote(request.az) + " (hosts and AZs: " + azs + ")");
    }
    candidates = std::move(in_az);
  }
  if (!request.disk_cids.empty()) {
    std::vector<const config::HostConfig*> disk_hosts = DiskHosts(config, request.disk_cids);
    std::vector<const config::HostConfig*> both;
    for (const config::HostConfig* h : candidates) {
      if (std::find(disk_hosts.begin(), disk_hosts.end(), h) != disk_hosts.end()) {
        both.push_back(h);
      }
    }
    if (both.empty()) {
      throw CloudError("the VM's persistent disks are on host " + Names(disk_hosts) +
                       ", but its cloud_properties place it on " + Names(candidates) +
                       "; a VM can only use disks of its own host");
    }
    candidates = std::move(both);
  }
  return candidates;
}

size_t MostFree(const std::vector<HostLoad>& loads) {
  size_t best = 0;
  for (size_t i = 1; i < loads.size(); ++i) {
    if (loads[i].free_mib - loads[i].reserved_mib >
        loads[best].free_mib - loads[best].reserved_mib) {
      best = i;
    }
  }
  return best;
}

std::string ReservationName(const std::string& host, int64_t mib) {
  return "reserve-" + host + "-" + std::to_string(mib) + "-" + util::RandomHex(12);
}

OpenedHosts OpenAll(const config::Config& config,
                    const std::vector<const config::HostConfig*>& specs) {
  OpenedHosts out;
  out.hosts.resize(specs.size());
  std::vector<std::string> errors(specs.size());
  {
    std::vector<std::thread> threads;
    for (size_t i = 0; i < specs.size(); ++i) {
      threads.emplace_back([&, i] {
        try {
          out.hosts[i].emplace(Host::Open(config, *specs[i]));
        } catch (const std::exception& e) {
          errors[i] = e.what();
        } catch (...) {
          errors[i] = "connecting to host '" + specs[i]->name + "' failed";
        }
      });
    }
    for (std::thread& t : threads) t.join();
  }
  for (size_t i = 0; i < specs.size(); ++i) {
    if (out.hosts[i]) continue;
    spdlog::warn("placement: skipping host '{}': {}", specs[i]->name, errors[i]);
    out.errors.push_back(std::move(errors[i]));
  }
  return out;
}

Placement Place(const config::Config& config, const PlacementRequest& request) {
  Placement placement;
  if (!config.multi_host) {
    // One host: `host`, `az` and disk_cids choose nothing, and a cloud-config written for
    // several hosts (or another CPI) must not make create_vm fail where it worked before.
    placement.host.emplace(Host::Open(config));
    return placement;
  }
  std::vector<const config::HostConfig*> candidates = Candidates(config, request);
  if (candidates.size() == 1) {
    placement.host.emplace(Host::Open(config, *candidates.front()));
    return placement;
  }
  OpenedHosts opened = OpenAll(config, candidates);
  std::vector<Host> open;
  for (std::optional<Host>& host : opened.hosts) {
    if (host) open.push_back(std::move(*host));
  }
  if (open.empty()) {
    std::string why;
    for (const std::string& e : opened.errors) why += (why.empty() ? "" : "; ") + e;
    throw CloudError("no host of " + Names(candidates) + " answers: " + why, true);
  }
  util::FileLock lock(config.lock_dir, kPlacementLock);
  std::vector<HostLoad> loads;
  for (Host& host : open) {
    HostLoad load;
    try {
      load.free_mib = static_cast<int64_t>(host.conn().FreeMemoryBytes() >> 20);
    } catch (const std::exception& e) {
      spdlog::warn("placement: free memory of host '{}' unknown: {}", host.spec().name, e.what());
    }
    load.reserved_mib = ReservedMib(config.lock_dir, host.spec().name);
    loads.push_back(load);
  }
  size_t chosen = MostFree(loads);
  const std::string& name = open[chosen].spec().name;
  spdlog::info("placement: host '{}' ({} MiB free, {} MiB reserved) for a {} MiB VM", name,
               loads[chosen].free_mib, loads[chosen].reserved_mib, request.memory_mib);
  placement.reservation =
      std::make_unique<util::FileLock>(config.lock_dir, ReservationName(name, request.memory_mib));
  placement.host.emplace(std::move(open[chosen]));
  return placement;
}

}  // namespace cpi::host
