#include "bosh_libvirt_cpi/vm/mac_allocation.h"

#include <cstdint>
#include <cstdio>

#include "bosh_libvirt_cpi/errors.h"
#include "bosh_libvirt_cpi/host/domain_xml.h"
#include "bosh_libvirt_cpi/network/nic_plan.h"
#include "bosh_libvirt_cpi/util/ids.h"
#include "bosh_libvirt_cpi/xml/document.h"

namespace cpi::vm {
namespace {

constexpr std::string_view kMacLockPrefix = "mac-";
constexpr int kAttempts = 64;

uint64_t Fnv1a(std::string_view text, uint64_t hash = 14695981039346656037ULL) {
  for (unsigned char c : text) {
    hash ^= c;
    hash *= 1099511628211ULL;
  }
  return hash;
}

// The MACs of a VM named `cid`, in NIC order; empty when it would collide with itself.
std::vector<std::string> CandidateMacs(const std::string& cid, size_t nic_count,
                                       const std::function<std::string()>& random_mac) {
  std::vector<std::string> macs;
  std::set<std::string> seen;
  for (size_t i = 0; i < nic_count; ++i) {
    std::string mac = HasDerivedMacs(cid) ? DerivedMac(cid, i) : random_mac();
    if (!seen.insert(mac).second) return {};
    macs.push_back(std::move(mac));
  }
  return macs;
}

// The locks of every MAC of `macs`, or none when another create_vm holds one.
std::vector<std::unique_ptr<util::FileLock>> TryReserve(const std::string& lock_dir,
                                                        const std::vector<std::string>& macs) {
  std::vector<std::unique_ptr<util::FileLock>> locks;
  for (const std::string& mac : macs) {
    std::unique_ptr<util::FileLock> lock = util::FileLock::TryExclusive(lock_dir, MacLockName(mac));
    if (!lock) return {};
    locks.push_back(std::move(lock));
  }
  return locks;
}

}  // namespace

bool HasDerivedMacs(std::string_view vm_cid) {
  // vm-[key-]xxxxxxxx-xxxx-Vxxx-…: the version digit is the UUID's 15th character.
  std::string_view uuid = util::CidUuid(vm_cid);
  return vm_cid.substr(0, 3) == "vm-" && uuid.size() == 36 && uuid[14] == '8';
}

std::string DerivedMac(std::string_view vm_cid, size_t nic) {
  uint64_t h = Fnv1a(std::to_string(nic), Fnv1a("/", Fnv1a(vm_cid)));
  char text[18];
  std::snprintf(text, sizeof text, "52:54:00:%02x:%02x:%02x", static_cast<unsigned>(h >> 16 & 0xff),
                static_cast<unsigned>(h >> 8 & 0xff), static_cast<unsigned>(h & 0xff));
  return text;
}

std::string MacLockName(std::string_view mac) {
  std::string name(kMacLockPrefix);
  for (char c : mac) {
    if (c != ':') name.push_back(c);
  }
  return name;
}

std::set<std::string> MacsInUse(virt::Connection& conn) {
  std::set<std::string> macs;
  auto read = [](const std::string& name) { return !HasDerivedMacs(name); };
  for (const virt::DomainDescription& d : conn.ListDomainDefinitions(read)) {
    if (HasDerivedMacs(d.name)) {
      for (size_t i = 0; i < kMaxDerivedNics; ++i) macs.insert(DerivedMac(d.name, i));
      continue;
    }
    if (d.config_xml.empty()) continue;
    for (std::string& mac :
         host::ReadMacs(xml::Document::Parse(d.config_xml, "domain " + d.name))) {
      macs.insert(std::move(mac));
    }
  }
  return macs;
}

MacAllocation AllocateMacs(virt::Connection& conn, const std::string& lock_dir, size_t nic_count,
                           const std::function<std::string()>& new_cid,
                           const std::function<std::string()>& random_mac,
                           std::string_view host_key) {
  util::RemoveStaleLocks(lock_dir, std::string(kMacLockPrefix));
  if (nic_count == 0) return MacAllocation{new_cid ? new_cid() : util::NewVmCid(host_key), {}, {}};
  bool derived = nic_count <= kMaxDerivedNics;
  for (int attempt = 0; attempt < kAttempts; ++attempt) {
    MacAllocation a;
    a.cid = new_cid ? new_cid() : util::NewVmCid(host_key);
    if (!derived && !new_cid) {
      // Version 4: its MACs are random (HasDerivedMacs is false for it).
      std::string uuid = util::NewUuid();
      a.cid.replace(a.cid.size() - uuid.size(), uuid.size(), uuid);
    }
    a.macs = CandidateMacs(a.cid, nic_count, random_mac ? random_mac : network::RandomMac);
    if (a.macs.size() != nic_count) continue;
    a.locks = TryReserve(lock_dir, a.macs);
    if (a.locks.size() != nic_count) continue;
    // Listed after the locks are held: a create_vm that held one of them before us has defined
    // its domain by now, so the list shows it.
    std::set<std::string> used = MacsInUse(conn);
    bool free = true;
    for (const std::string& mac : a.macs) free = free && used.count(mac) == 0;
    if (free) return a;
  }
  throw CloudError("no free MAC address for " + std::to_string(nic_count) + " NIC(s) after " +
                   std::to_string(kAttempts) + " tries on " + Quote(conn.uri()));
}

}  // namespace cpi::vm
