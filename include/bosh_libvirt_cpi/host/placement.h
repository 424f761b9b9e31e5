#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "bosh_libvirt_cpi/config/config.h"
#include "bosh_libvirt_cpi/host/host.h"
#include "bosh_libvirt_cpi/util/file_lock.h"

// Where create_vm puts a VM when the config names several hosts (docs/MULTIHOST.md,
// "Placement"): the host its cloud_properties name, the host of its persistent disks, or the host
// of its AZ with the most free memory net of what in-flight create_vms reserved.
namespace cpi::host {

struct PlacementRequest {
  std::string host;                    // cloud_properties `host` ("" when not given)
  std::string az;                      // cloud_properties `az`
  std::vector<std::string> disk_cids;  // create_vm's disk_cids: the VM goes where they are
  int64_t memory_mib = 0;              // what the VM will take, reserved while it is made
};

// The hosts the request allows, in config order (pure). Throws cpi::Error (CloudError, not
// retryable) naming the conflict: an unknown host or AZ, disks on several hosts, disks on a host
// other than the one named.
std::vector<const config::HostConfig*> Candidates(const config::Config& config,
                                                  const PlacementRequest& request);

// One candidate as placement sees it.
struct HostLoad {
  int64_t free_mib = 0;      // virNodeGetFreeMemory
  int64_t reserved_mib = 0;  // reservations of in-flight create_vms on it
};

// The index of the load with the most free memory net of reservations; the first of equals (pure).
size_t MostFree(const std::vector<HostLoad>& loads);

// The chosen host, open, and the reservation that stays until create_vm ends.
struct Placement {
  std::optional<Host> host;
  std::unique_ptr<util::FileLock> reservation;
};

// Opens the host the VM goes to. A single-host config (no `hosts`) opens its host whatever the
// request says. With one candidate it is opened directly (a single-host config
// costs nothing more); with several, each is opened (unreachable ones are skipped and logged),
// then, under the exclusive lock `placement` in config.lock_dir, the free memory of each is read,
// the reservations of in-flight create_vms are subtracted, the most free one is chosen and a
// reservation of request.memory_mib is taken on it. Throws cpi::Error: Candidates' errors, or a
// retryable CloudError when no candidate answers.
Placement Place(const config::Config& config, const PlacementRequest& request);

// Opens every host of `specs` at once (one thread each, each bounded by its timeout_seconds), so
// placement over N remote hosts waits for the slowest connection, not for their sum. An entry is
// nullopt when its host did not answer; `errors` then holds its message.
struct OpenedHosts {
  std::vector<std::optional<Host>> hosts;  // in the order of `specs`
  std::vector<std::string> errors;         // one per host that did not answer
};
OpenedHosts OpenAll(const config::Config& config,
                    const std::vector<const config::HostConfig*>& specs);

// Reservation lock names: "reserve-<host>-<mib>-<random>".
std::string ReservationName(const std::string& host, int64_t mib);

}  // namespace cpi::host
