// Issue 6, item 4: 16 CPI processes at once — create_vm, create_disk, attach_disk, detach_disk
// and delete_vm mixed, several against the same VM and the same stemcell — all answer as the
// contract says; MACs stay unique across every domain of the host, device targets unique within
// each domain, and no read-modify-write of shared state (MAC allocation, a domain's disks) loses
// an update.
#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <set>

#include "bosh_libvirt_cpi/virt/domain.h"
#include "bosh_libvirt_cpi/xml/document.h"
#include "reliability/reliability_support.h"
#include "support/cpi_request.h"
#include "support/libvirt_world.h"

namespace cpi::testing::reliability {
namespace {

class ReliabilityConcurrencyTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    ASSERT_TRUE(LibvirtAvailable());
    world_ = new LibvirtWorld("relcc");
    stemcell_ = AddStemcellWithSidecar(world_->conn(), world_->pool());
  }
  static void TearDownTestSuite() {
    delete world_;
    world_ = nullptr;
  }

  json VmArgs(int n) {
    return {"agent-cc-" + std::to_string(n),
            stemcell_,
            {{"memory", 128}},
            ManualNetwork(world_->network(), world_->subnet_prefix() + "." + std::to_string(n)),
            json::array(),
            json::object()};
  }
  std::string Vm(int n) {
    json r = CallCpi(world_->config_path(), "create_vm", VmArgs(n));
    EXPECT_TRUE(r["error"].is_null()) << r.dump();
    return r["result"][0];
  }
  std::string Disk() {
    json r = CallCpi(world_->config_path(), "create_disk", {16, json::object(), nullptr});
    EXPECT_TRUE(r["error"].is_null()) << r.dump();
    return r["result"];
  }
  std::set<std::string> Serials(const std::string& vm, bool inactive) {
    std::set<std::string> out;
    for (const auto& [target, serial] : DiskTargets(world_->conn(), vm, inactive)) {
      if (serial.rfind("disk-", 0) == 0) out.insert(serial);
    }
    return out;
  }

  static LibvirtWorld* world_;
  static std::string stemcell_;
};

LibvirtWorld* ReliabilityConcurrencyTest::world_ = nullptr;
std::string ReliabilityConcurrencyTest::stemcell_;

TEST_F(ReliabilityConcurrencyTest, SixteenProcessesMixedOnSharedVmsAndStemcell) {
  const std::string config = world_->config_path();
  for (int round = 0; round < 2; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    // Before: a running VM A and a stopped VM B that several calls share, two VMs to delete, one
    // disk already on B, six disks to attach.
    std::string a = Vm(100), b = Vm(101), c = Vm(102), d = Vm(103);
    auto b_dom = world_->conn().FindDomain(b);
    virt::DestroyDomain(b_dom->get(), b);
    std::vector<std::string> disks;
    for (int i = 0; i < 7; ++i) disks.push_back(Disk());
    ASSERT_TRUE(CallCpi(config, "attach_disk", {b, disks[6]})["error"].is_null());

    std::vector<Call> calls;
    for (int i = 0; i < 4; ++i) calls.push_back({"create_vm", VmArgs(110 + i), config});
    for (int i = 0; i < 2; ++i) calls.push_back({"create_disk", {16, json::object(), a}, config});
    for (int i = 0; i < 4; ++i) calls.push_back({"attach_disk", {a, disks[i]}, config});
    for (int i = 4; i < 6; ++i) calls.push_back({"attach_disk", {b, disks[i]}, config});
    calls.push_back({"detach_disk", {b, disks[6]}, config});
    calls.push_back({"delete_vm", {c}, config});
    calls.push_back({"delete_vm", {c}, config});  // the same VM twice at once
    calls.push_back({"delete_vm", {d}, config});
    ASSERT_EQ(calls.size(), 16u);

    auto started = Clock::now();
    std::vector<json> answers = RunConcurrently(calls);
    double seconds = std::chrono::duration<double>(Clock::now() - started).count();
    RecordProperty("round" + std::to_string(round) + "_seconds", std::to_string(seconds));

    std::vector<std::string> new_vms, new_disks;
    for (size_t i = 0; i < calls.size(); ++i) {
      const json& r = answers[i];
      SCOPED_TRACE(calls[i].method + " " + calls[i].arguments.dump().substr(0, 120));
      ASSERT_TRUE(r.contains("result") && r.contains("error") && r.contains("log")) << r.dump();
      EXPECT_TRUE(r["error"].is_null()) << r.dump();
      if (calls[i].method == "create_vm" && r["error"].is_null()) {
        ASSERT_TRUE(r["result"].is_array());
        new_vms.push_back(r["result"][0]);
      }
      if (calls[i].method == "create_disk" && r["error"].is_null())
        new_disks.push_back(r["result"]);
      if (calls[i].method == "attach_disk" && r["error"].is_null()) {
        EXPECT_EQ(r["result"]["path"],
                  "/dev/disk/by-id/virtio-" + calls[i].arguments[1].get<std::string>());
      }
    }
    // Unique CIDs.
    EXPECT_EQ(std::set<std::string>(new_vms.begin(), new_vms.end()).size(), 4u);
    EXPECT_EQ(std::set<std::string>(new_disks.begin(), new_disks.end()).size(), 2u);
    // Unique MACs across every domain of the host.
    std::vector<std::string> macs = AllMacs(world_->conn());
    std::set<std::string> unique(macs.begin(), macs.end());
    EXPECT_EQ(unique.size(), macs.size());
    // No lost update on the shared VMs: every attach is there, in both definitions of A, each on a
    // target of its own (DiskTargets marks a repeated target).
    std::set<std::string> on_a(disks.begin(), disks.begin() + 4);
    EXPECT_EQ(Serials(a, true), on_a);
    EXPECT_EQ(Serials(a, false), on_a);
    EXPECT_EQ(Serials(b, true), std::set<std::string>(disks.begin() + 4, disks.begin() + 6));
    for (const std::string& vm : {a, b}) {
      for (bool inactive : {true, false}) {
        for (const auto& [target, serial] : DiskTargets(world_->conn(), vm, inactive)) {
          EXPECT_FALSE(Contains(target, "#duplicate")) << vm << " " << target;
        }
      }
    }
    EXPECT_TRUE(world_->DomainsNamed(c).empty());
    EXPECT_TRUE(world_->DomainsNamed(d).empty());
    for (const std::string& v : world_->Volumes()) {
      EXPECT_FALSE(Contains(v, c) || Contains(v, d)) << v;
    }
    EXPECT_TRUE(FilesIn(world_->lock_dir()).empty());

    // Everything goes away again, concurrently too.
    std::vector<Call> teardown;
    for (const std::string& vm : new_vms) teardown.push_back({"delete_vm", {vm}, config});
    teardown.push_back({"delete_vm", {a}, config});
    teardown.push_back({"delete_vm", {b}, config});
    for (const json& r : RunConcurrently(teardown)) EXPECT_TRUE(r["error"].is_null()) << r.dump();
    std::vector<Call> disk_teardown;
    for (const std::string& disk : disks) disk_teardown.push_back({"delete_disk", {disk}, config});
    for (const std::string& disk : new_disks)
      disk_teardown.push_back({"delete_disk", {disk}, config});
    for (const json& r : RunConcurrently(disk_teardown))
      EXPECT_TRUE(r["error"].is_null()) << r.dump();
    std::vector<std::string> left = world_->Volumes();
    EXPECT_EQ(left.size(), 2u) << "only the stemcell and its sidecar";
  }
}

// Twelve create_vm at once on one stemcell, each with three NICs: 36 MACs allocated under the
// host's lock, none twice; each VM's settings name exactly the MACs of its own domain.
TEST_F(ReliabilityConcurrencyTest, ConcurrentCreateVmAllocatesDistinctMacs) {
  const std::string config = world_->config_path();
  std::vector<Call> calls;
  for (int i = 0; i < 12; ++i) {
    json networks =
        ManualNetwork(world_->network(), world_->subnet_prefix() + "." + std::to_string(150 + i));
    json second = networks["default"];
    second.erase("default");
    second["ip"] = world_->subnet_prefix() + "." + std::to_string(170 + i);
    networks["second"] = second;
    networks["third"] = second;
    networks["third"]["ip"] = world_->subnet_prefix() + "." + std::to_string(190 + i);
    calls.push_back({"create_vm",
                     {"agent-macs-" + std::to_string(i),
                      stemcell_,
                      {{"memory", 128}},
                      networks,
                      json::array(),
                      json::object()},
                     config});
  }
  std::vector<json> answers = RunConcurrently(calls);
  std::set<std::string> macs;
  std::vector<std::string> vms;
  for (const json& r : answers) {
    ASSERT_TRUE(r["error"].is_null()) << r.dump();
    std::string vm = r["result"][0];
    vms.push_back(vm);
    std::set<std::string> from_settings;
    for (const auto& [name, net] : r["result"][1].items()) from_settings.insert(net["mac"]);
    EXPECT_EQ(from_settings.size(), 3u);
    std::optional<virt::DomainPtr> dom = world_->conn().FindDomain(vm);
    ASSERT_TRUE(dom);
    std::set<std::string> in_domain;
    for (std::string mac : xml::Document::Parse(virt::DomainXml(dom->get(), vm, true), vm)
                               .Strings("//interface/mac/@address")) {
      in_domain.insert(mac);
    }
    EXPECT_EQ(in_domain, from_settings);
    for (const std::string& mac : from_settings) EXPECT_TRUE(macs.insert(mac).second) << mac;
  }
  std::vector<std::string> all = AllMacs(world_->conn());
  EXPECT_EQ(std::set<std::string>(all.begin(), all.end()).size(), all.size());
  std::vector<Call> teardown;
  for (const std::string& vm : vms) teardown.push_back({"delete_vm", {vm}, config});
  for (const json& r : RunConcurrently(teardown)) EXPECT_TRUE(r["error"].is_null()) << r.dump();
}

// Issue 17, defect 1: a delete_stemcell landing between create_vm's root overlay and its domain's
// definition saw an overlay "of no VM" and deleted the stemcell; the VM ran on the deleted file
// and could never start again ("Cannot access backing file"). create_vm is frozen (SIGSTOP) the
// instant its overlay appears; delete_stemcell must then wait for the stemcell's lock (or refuse),
// never delete. Once create_vm finishes, delete_stemcell refuses naming the VM; the VM powers off
// and starts again through reboot_vm; after delete_vm the stemcell is deleted.
TEST_F(ReliabilityConcurrencyTest, DeleteStemcellNeverDeletesTheBaseOfAVmBeingCreated) {
  const std::string config = world_->config_path();
  std::string sc = AddStemcellWithSidecar(world_->conn(), world_->pool());
  auto has_stemcell = [&] {
    std::vector<std::string> v = world_->Volumes();
    return std::count(v.begin(), v.end(), sc) == 1;
  };
  json args = VmArgs(120);
  args[1] = sc;
  PoolWatcher watcher(world_->pool_dir());
  auto create = CpiProcess::Start(config, "create_vm", args);
  std::optional<std::string> root = watcher.WaitFor(
      [](const std::string& n) {
        return n.rfind("vm-", 0) == 0 && n.size() == 44 && n.compare(39, 5, "-root") == 0;
      },
      std::chrono::seconds(30));
  create->Signal(SIGSTOP);
  ASSERT_TRUE(root.has_value()) << create->Response().dump();
  std::string vm = root->substr(0, 39);
  ASSERT_TRUE(world_->DomainsNamed(vm).empty()) << "frozen only after the domain was defined";

  auto del = CpiProcess::Start(config, "delete_stemcell", {sc});
  Halted halted = WaitUntilLockWaitOrExit(del->pid(), std::chrono::seconds(60));
  EXPECT_NE(halted, Halted::kNeither);
  EXPECT_TRUE(has_stemcell()) << "deleted under a VM being created: " << del->Response().dump();
  RecordProperty("delete_stemcell_while_frozen",
                 halted == Halted::kWaitingForLock ? "waited for the lock" : "answered");

  create->Signal(SIGCONT);
  json created = create->Response();
  ASSERT_TRUE(created["error"].is_null()) << created.dump();
  ASSERT_EQ(created["result"][0], vm);
  json refused = del->Response();
  EXPECT_EQ(ErrorType(refused), "Bosh::Clouds::CloudError") << refused.dump();
  EXPECT_FALSE(OkToRetry(refused)) << refused.dump();
  EXPECT_TRUE(Contains(refused.dump(), vm)) << refused.dump();
  EXPECT_TRUE(has_stemcell());

  // Power off, then reboot_vm starts it again: its backing file is still there.
  auto dom = world_->conn().FindDomain(vm);
  ASSERT_TRUE(dom.has_value());
  virt::DestroyDomain(dom->get(), vm);
  json rebooted = CallCpi(config, "reboot_vm", {vm});
  EXPECT_TRUE(rebooted["error"].is_null()) << rebooted.dump();
  EXPECT_EQ(virDomainIsActive(dom->get()), 1);

  ASSERT_TRUE(CallCpi(config, "delete_vm", {vm})["error"].is_null());
  json deleted = CallCpi(config, "delete_stemcell", {sc});
  EXPECT_TRUE(deleted["error"].is_null()) << deleted.dump();
  EXPECT_FALSE(has_stemcell());
  EXPECT_TRUE(FilesIn(world_->lock_dir()).empty());
}

}  // namespace
}  // namespace cpi::testing::reliability
