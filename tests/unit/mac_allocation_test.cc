// MAC allocation without a host-wide lock (vm/mac_allocation.h): derived MACs, the per-MAC
// reservation locks, the listing that reads only definitions it cannot derive, and stale lock
// files of killed processes. Real lock files in a folder of the test's own; the hypervisor is the
// recording fake. Many create_vm processes at once against the real libvirtd:
// tests/reliability/concurrency_test.cc.
#include "bosh_libvirt_cpi/vm/mac_allocation.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <memory>

#include "bosh_libvirt_cpi/errors.h"
#include "bosh_libvirt_cpi/network/nic_plan.h"
#include "bosh_libvirt_cpi/util/ids.h"
#include "support/fake_virt.h"

namespace cpi::vm {
namespace {

namespace fs = std::filesystem;

std::string DomainWithMac(const std::string& name, const std::string& mac) {
  return "<domain type='qemu'><name>" + name +
         "</name><devices><interface type='network'><mac address='" + mac +
         "'/><source network='default'/></interface></devices></domain>";
}

std::vector<std::string> LockFiles(const fs::path& dir) {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) out.push_back(e.path().filename());
  return out;
}

// Hands out the given CIDs in order.
std::function<std::string()> Cids(std::vector<std::string> cids) {
  auto next = std::make_shared<size_t>(0);
  return [cids, next] { return cids.at((*next)++); };
}

class MacAllocationTest : public ::testing::Test {
 protected:
  testing::FakeWorld world_;
  std::unique_ptr<virt::Connection> conn_ = testing::FakeConnection(world_.hv);
  std::string locks_ = world_.lock_dir.string();
};

TEST(DerivedMacTest, NewVmCidsHaveDerivedLowercaseQemuMacsPerNic) {
  std::string cid = util::NewVmCid();
  ASSERT_TRUE(util::IsVmCid(cid));
  EXPECT_EQ(cid[17], '8') << cid;
  EXPECT_TRUE(HasDerivedMacs(cid));
  EXPECT_FALSE(HasDerivedMacs("vm-" + util::NewUuid()));  // version 4: an earlier CPI's VM
  EXPECT_FALSE(HasDerivedMacs("vm-8"));
  EXPECT_EQ(DerivedMac(cid, 0), DerivedMac(cid, 0));
  EXPECT_NE(DerivedMac(cid, 0), DerivedMac(cid, 1));
  EXPECT_NE(DerivedMac(cid, 0), DerivedMac(util::NewVmCid(), 0));
  EXPECT_TRUE(network::IsLowercaseMac(DerivedMac(cid, 3)));
  EXPECT_EQ(DerivedMac(cid, 3).substr(0, 9), "52:54:00:");
  EXPECT_EQ(MacLockName("52:54:00:ab:cd:ef"), "mac-525400abcdef");
}

TEST_F(MacAllocationTest, UsedMacsAreDerivedFromNamesAndReadOnlyForOtherDomains) {
  std::string derived = util::NewVmCid();
  world_.hv.domains[derived].config_xml = DomainWithMac(derived, "52:54:00:00:00:01");
  world_.hv.domains["foreign"].config_xml = DomainWithMac("foreign", "52:54:00:00:00:02");
  std::string legacy = "vm-" + util::NewUuid();
  world_.hv.domains[legacy].config_xml = DomainWithMac(legacy, "52:54:00:00:00:03");

  std::set<std::string> used = MacsInUse(*conn_);
  // The derived VM's MACs come from its name, whatever its XML says; its definition is not read.
  for (size_t i = 0; i < kMaxDerivedNics; ++i) EXPECT_EQ(used.count(DerivedMac(derived, i)), 1u);
  EXPECT_EQ(used.count("52:54:00:00:00:01"), 0u);
  EXPECT_EQ(used.count("52:54:00:00:00:02"), 1u);
  EXPECT_EQ(used.count("52:54:00:00:00:03"), 1u);
  EXPECT_EQ(used.size(), kMaxDerivedNics + 2);
  std::sort(world_.hv.definitions_read.begin(), world_.hv.definitions_read.end());
  EXPECT_EQ(world_.hv.definitions_read, (std::vector<std::string>{"foreign", legacy}));
}

TEST_F(MacAllocationTest, ACidWhoseMacAnyDomainUsesIsSkipped) {
  std::string taken = util::NewVmCid(), free = util::NewVmCid();
  world_.hv.domains["foreign"].config_xml = DomainWithMac("foreign", DerivedMac(taken, 1));
  MacAllocation a = AllocateMacs(*conn_, locks_, 2, Cids({taken, free}));
  EXPECT_EQ(a.cid, free);
  EXPECT_EQ(a.macs, (std::vector<std::string>{DerivedMac(free, 0), DerivedMac(free, 1)}));
  // Reserved until released: the lock files exist while `a` lives, none after.
  EXPECT_EQ(LockFiles(world_.lock_dir).size(), 2u);
  a = MacAllocation{};
  EXPECT_TRUE(LockFiles(world_.lock_dir).empty());
}

TEST_F(MacAllocationTest, ACidWhoseMacAnotherCreateVmReservedIsSkipped) {
  std::string first = util::NewVmCid(), second = util::NewVmCid();
  MacAllocation held = AllocateMacs(*conn_, locks_, 1, Cids({first}));
  // The same MAC reserved by another process's create_vm (its domain not defined yet).
  MacAllocation next = AllocateMacs(*conn_, locks_, 1, Cids({first, second}));
  EXPECT_EQ(held.cid, first);
  EXPECT_EQ(next.cid, second);
  EXPECT_NE(next.macs, held.macs);
}

TEST_F(MacAllocationTest, MoreNicsThanDerivableGetRandomMacsAndAVersion4Cid) {
  MacAllocation a = AllocateMacs(*conn_, locks_, kMaxDerivedNics + 1);
  EXPECT_TRUE(util::IsVmCid(a.cid));
  EXPECT_FALSE(HasDerivedMacs(a.cid));
  EXPECT_EQ(std::set<std::string>(a.macs.begin(), a.macs.end()).size(), kMaxDerivedNics + 1);
}

TEST_F(MacAllocationTest, GivesUpWhenEveryCandidateIsTaken) {
  world_.hv.domains["foreign"].config_xml = DomainWithMac("foreign", "52:54:00:00:00:09");
  std::string legacy_cid = "vm-" + util::NewUuid();
  auto always = [legacy_cid] { return legacy_cid; };
  auto same_mac = [] { return std::string("52:54:00:00:00:09"); };
  try {
    AllocateMacs(*conn_, locks_, 1, always, same_mac);
    FAIL() << "allocated a used MAC";
  } catch (const Error& e) {
    EXPECT_EQ(e.type(), ErrorType::kCloudError);
    EXPECT_NE(std::string(e.what()).find("no free MAC address for 1 NIC(s)"), std::string::npos);
  }
  EXPECT_TRUE(LockFiles(world_.lock_dir).empty());
}

TEST_F(MacAllocationTest, StaleMacLockFilesOfKilledProcessesAreRemovedHeldOnesKept) {
  fs::create_directories(world_.lock_dir);
  std::ofstream(world_.lock_dir / "mac-525400000001.lock");  // its holder was killed
  std::ofstream(world_.lock_dir / "disk-x.lock");            // not a MAC's: left to its next holder
  auto held = util::FileLock::TryExclusive(locks_, "mac-525400000002");
  ASSERT_NE(held, nullptr);
  MacAllocation a = AllocateMacs(*conn_, locks_, 1);
  a = MacAllocation{};
  std::vector<std::string> left = LockFiles(world_.lock_dir);
  std::sort(left.begin(), left.end());
  EXPECT_EQ(left, (std::vector<std::string>{"disk-x.lock", "mac-525400000002.lock"}));
  EXPECT_EQ(util::RemoveStaleLocks(locks_, ""), 1);  // what cleanup does: every stale one
  held.reset();
  EXPECT_TRUE(LockFiles(world_.lock_dir).empty());
}

TEST_F(MacAllocationTest, SharedLocksExcludeOnlyTheExclusiveOneAndTheLastRemovesTheFile) {
  auto a = std::make_unique<util::FileLock>(locks_, "creating", util::LockMode::kShared);
  auto b = std::make_unique<util::FileLock>(locks_, "creating", util::LockMode::kShared);
  EXPECT_EQ(util::FileLock::TryExclusive(locks_, "creating"), nullptr);
  a.reset();
  EXPECT_EQ(LockFiles(world_.lock_dir).size(), 1u);  // b still holds it
  EXPECT_EQ(util::FileLock::TryExclusive(locks_, "creating"), nullptr);
  b.reset();
  EXPECT_TRUE(LockFiles(world_.lock_dir).empty());
  EXPECT_NE(util::FileLock::TryExclusive(locks_, "creating"), nullptr);
}

}  // namespace
}  // namespace cpi::vm
