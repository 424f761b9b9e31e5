#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "bosh_libvirt_cpi/host/host.h"
#include "bosh_libvirt_cpi/stemcell/hosts.h"
#include "bosh_libvirt_cpi/virt/objects.h"

namespace cpi::vm {

struct CreateVmInput {
  std::string agent_id;
  std::string stemcell_cid;
  nlohmann::json cloud_properties;
  nlohmann::json networks;
  nlohmann::json env;  // verbatim into the settings; never logged
  nlohmann::json persistent_disks = nlohmann::json::object();  // API v1 stemcells only
  // Opens the other hosts when the stemcell must be copied from one (multi-host config);
  // empty: host::Host::Open.
  stemcell::HostOpener open_host;
};

struct CreatedVm {
  std::string cid;
  nlohmann::json networks;  // as used: with mac and use_dhcp
};

// The ephemeral disk's virtio serial (20 characters, derived from the CID).
std::string EphemeralSerial(const std::string& vm_cid);

// Creates and starts a VM (docs/CONTRACT.md §4.4, docs/ARCHITECTURE.md §8). On any failure after
// the first side effect everything created is removed and cpi::Error VMCreationFailed is thrown
// (ok_to_retry when a retry can succeed).
CreatedVm CreateVm(host::Host& host, const CreateVmInput& input);

// How a create_vm failure reaches the Director, by when it happened.
enum class CreationFailure {
  kBeforeChanges,  // nothing was changed: a retryable cause becomes a retryable VMCreationFailed,
                   // any other keeps its type (bad input stays CpiError)
  kChangesUndone,  // after the first change, all undone: VMCreationFailed, retryable when the
                   // cause is or the pool was full
  kStarting,       // starting the defined domain: VMCreationFailed, retryable when the cause is
};

// Must be called inside a catch block: rethrows the current error as CreateVm reports it, with
// `step` in front (host::RethrowWithStep; none when empty).
[[noreturn]] void RethrowCreationFailure(std::string_view step, CreationFailure when);

// Destroys and undefines the domain and deletes the VM's own volumes; persistent disks are kept.
// Returns false when there was no such domain (its leftover volumes are still removed).
bool DeleteVm(host::Host& host, const std::string& vm_cid);

// The domain of a VM CID, or nullptr (also for strings that are not VM CIDs).
std::unique_ptr<virt::Domain> FindVm(host::Host& host, const std::string& vm_cid);

// Like FindVm but throws cpi::Error (VMNotFound) when absent.
std::unique_ptr<virt::Domain> RequireVm(host::Host& host, const std::string& vm_cid);

// Starts a stopped VM, hard-resets a running one.
void RebootVm(host::Host& host, const std::string& vm_cid);

// Stores every key of `metadata` in the domain's <metadata> and sets <title>.
void SetVmMetadata(host::Host& host, const std::string& vm_cid, const nlohmann::json& metadata);

// The util::FileLock name every CreateVm holds shared from before its first volume until its
// domain is defined. The `cleanup` command takes it exclusively, so that it never mistakes the
// volumes of a create_vm in progress on this machine for leftovers.
std::string CreationLockName(const std::string& uri);

}  // namespace cpi::vm
