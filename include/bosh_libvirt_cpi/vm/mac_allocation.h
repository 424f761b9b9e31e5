#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "bosh_libvirt_cpi/util/file_lock.h"
#include "bosh_libvirt_cpi/virt/objects.h"

namespace cpi::vm {

// MAC addresses of new VMs, unique on the host without a host-wide lock (docs/ARCHITECTURE.md
// §8, "MAC addresses").
//
// A VM whose CID is vm-<uuid> with UUID version 8 (util::NewVmCid) has the MACs
// DerivedMac(cid, 0..n-1), n <= kMaxDerivedNics: anyone can tell its MACs from its name, so the
// MACs in use on the host are one listing of domain names, plus one definition read for each
// domain that is not such a VM (made by an earlier version of the CPI or by someone else). A MAC
// is reserved from its choice until the domain using it is defined by an exclusive lock of its
// own (MacLockName), taken without waiting: a create_vm that finds it held picks another CID.

constexpr size_t kMaxDerivedNics = 16;

// Whether `vm_cid` is vm-<uuid> with UUID version 8.
bool HasDerivedMacs(std::string_view vm_cid);

// NIC `nic`'s MAC of the VM `vm_cid`: 52:54:00 and three bytes of FNV-1a over the CID and `nic`.
std::string DerivedMac(std::string_view vm_cid, size_t nic);

// The util::FileLock name reserving `mac` ("mac-525400xxxxxx").
std::string MacLockName(std::string_view mac);

// The MACs a new VM must not use: every MAC any domain of the host may use (for VMs with derived
// MACs, all kMaxDerivedNics of them).
std::set<std::string> MacsInUse(virt::Connection& conn);

// A CID with `nic_count` MACs no domain uses and no other create_vm holds; the locks reserve
// them until destruction (keep them until the domain is defined).
struct MacAllocation {
  std::string cid;
  std::vector<std::string> macs;  // NIC order
  std::vector<std::unique_ptr<util::FileLock>> locks;
};

// Chooses the VM's CID and its MACs (derived when nic_count <= kMaxDerivedNics, else random with
// a version 4 CID). `new_cid` and `random_mac` are for tests. Removes stale MAC lock files of
// killed processes first. New CIDs carry `host_key` (util::NewVmCid). Throws cpi::Error
// CloudError when 64 CIDs in a row collide.
MacAllocation AllocateMacs(virt::Connection& conn, const std::string& lock_dir, size_t nic_count,
                           const std::function<std::string()>& new_cid = nullptr,
                           const std::function<std::string()>& random_mac = nullptr,
                           std::string_view host_key = "");

}  // namespace cpi::vm
