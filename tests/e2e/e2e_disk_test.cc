// Persistent disks as the guest sees them: one guest of the bootable test stemcell
// (stemcell/build.sh; TCG, 128 MiB) serves every check. Its /init reports on the serial console
// (stemcell/README.md): disk_added / disk_removed with the virtio serial, and for disks whose
// serial starts with "disk-" a data check that writes "BOSH-TEST-DATA <serial>" at byte 0 of a
// blank disk (disk_written) or reports what it finds (disk_seen_data). Every CPI call goes through
// the real executable.
#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include <nlohmann/json.hpp>

#include "bosh_libvirt_cpi/virt/domain.h"
#include "bosh_libvirt_cpi/virt/storage.h"
#include "bosh_libvirt_cpi/xml/document.h"
#include "support/cpi_request.h"
#include "support/guest_console.h"
#include "support/libvirt_world.h"
#include "support/test_stemcell.h"

namespace cpi::testing {
namespace {

using nlohmann::json;
using std::chrono::seconds;

constexpr seconds kBoot{180};    // TCG boots take 10-30 s, longer on a busy host
constexpr seconds kHotplug{60};  // the guest polls /sys/block once a second

class E2eDiskTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    world_ = new LibvirtWorld("e2edisk");
    std::string dir = TestStemcellDir();
    json sc = Call("create_stemcell", {dir + "/image-qcow2",
                                       {{"name", "bosh-openstack-kvm-tiny"},
                                        {"version", "0.0.1"},
                                        {"disk_format", "qcow2"},
                                        {"disk", 64}}});
    ASSERT_TRUE(sc["error"].is_null()) << sc.dump();
    stemcell_ = sc["result"];
    json networks = {{"default",
                      {{"type", "manual"},
                       {"ip", world_->subnet_prefix() + ".10"},
                       {"netmask", "255.255.255.0"},
                       {"gateway", world_->subnet_prefix() + ".1"},
                       {"default", {"dns", "gateway"}},
                       {"cloud_properties", {{"network", world_->network()}}}}}};
    json vm = Call(
        "create_vm",
        {"agent-e2e-disk", stemcell_, {{"memory", 128}}, networks, json::array(), json::object()});
    ASSERT_TRUE(vm["error"].is_null()) << vm.dump();
    vm_ = vm["result"][0];
    console_ = new GuestConsole(world_->console_dir() + "/" + vm_ + ".console.log");
    ASSERT_TRUE(console_->WaitForEvent("ready", kBoot)) << console_->Tail();
  }
  static void TearDownTestSuite() {
    if (!vm_.empty()) Call("delete_vm", {vm_});
    if (!stemcell_.empty()) Call("delete_stemcell", {stemcell_});
    delete console_;
    console_ = nullptr;
    delete world_;
    world_ = nullptr;
  }
  void SetUp() override {
    if (vm_.empty() || console_ == nullptr) GTEST_SKIP() << "the guest did not boot";
  }

  static json Call(const std::string& method, const json& args) {
    return CallCpi(world_->config_path(), method, args);
  }

  static std::string NewRawDisk() {
    json r = Call("create_disk", {16, {{"format", "raw"}}, vm_});
    EXPECT_TRUE(r["error"].is_null()) << r.dump();
    return r["result"];
  }

  // Waits for `event` about the disk with serial `cid` reported after the first `skip` reports.
  static std::optional<json> WaitForDisk(const std::string& event, const std::string& cid,
                                         size_t skip, seconds timeout = kHotplug) {
    return console_->WaitFor(
        [&](const json& e) {
          return e.value("event", "") == event && e.value("serial", "") == cid;
        },
        timeout, skip);
  }

  static std::string Head(const std::string& volume, size_t bytes) {
    auto pool = world_->conn().FindStoragePool(world_->pool());
    auto vol = world_->conn().FindVolume(pool->get(), volume);
    if (!vol) return "";
    return virt::DownloadVolume(world_->conn().get(), vol->get(), volume, bytes);
  }

  static size_t DevicesWithSerial(const std::string& cid, bool inactive) {
    auto dom = world_->conn().FindDomain(vm_);
    xml::Document doc =
        xml::Document::Parse(virt::DomainXml(dom->get(), vm_, inactive), "domain " + vm_);
    return doc.ElementsXml("/domain/devices/disk[serial='" + cid + "']").size();
  }

  static std::string Marker(const std::string& cid) { return "BOSH-TEST-DATA " + cid + "\n"; }

  static LibvirtWorld* world_;
  static GuestConsole* console_;
  static std::string stemcell_;
  static std::string vm_;
};

LibvirtWorld* E2eDiskTest::world_ = nullptr;
GuestConsole* E2eDiskTest::console_ = nullptr;
std::string E2eDiskTest::stemcell_;
std::string E2eDiskTest::vm_;

TEST_F(E2eDiskTest, LiveAttachAndDetachAreSeenByTheGuest) {
  std::string cid = NewRawDisk();
  size_t skip = console_->Events().size();
  json r = Call("attach_disk", {vm_, cid});
  ASSERT_TRUE(r["error"].is_null()) << r.dump();
  // The guest finds it by the serial the hint names (/dev/disk/by-id/virtio-<serial>).
  EXPECT_EQ(r["result"]["path"], "/dev/disk/by-id/virtio-" + cid);
  std::optional<json> added = WaitForDisk("disk_added", cid, skip);
  ASSERT_TRUE(added) << console_->Tail();
  EXPECT_EQ((*added)["size_bytes"], 16 << 20);
  ASSERT_TRUE(WaitForDisk("disk_written", cid, skip)) << console_->Tail();

  skip = console_->Events().size();
  auto start = std::chrono::steady_clock::now();
  json d = Call("detach_disk", {vm_, cid});
  ASSERT_TRUE(d["error"].is_null()) << d.dump();
  double seconds_taken =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  // detach_disk returns only once the device is gone from the running domain.
  EXPECT_EQ(DevicesWithSerial(cid, false), 0u);
  EXPECT_EQ(DevicesWithSerial(cid, true), 0u);
  EXPECT_TRUE(WaitForDisk("disk_removed", cid, skip)) << console_->Tail();
  EXPECT_LT(seconds_taken, 30.0);
  // The guest's data stayed on the volume.
  EXPECT_EQ(Head(cid, Marker(cid).size()), Marker(cid));
  EXPECT_TRUE(Call("delete_disk", {cid})["error"].is_null());
}

TEST_F(E2eDiskTest, SnapshotWhileRunningHoldsWhatTheGuestWrote) {
  std::string cid = NewRawDisk();
  size_t skip = console_->Events().size();
  ASSERT_TRUE(Call("attach_disk", {vm_, cid})["error"].is_null());
  ASSERT_TRUE(WaitForDisk("disk_written", cid, skip)) << console_->Tail();

  json s = Call("snapshot_disk", {cid, {{"deployment", "e2e"}, {"index", 0}}});
  ASSERT_TRUE(s["error"].is_null()) << s.dump();
  std::string snap = s["result"];
  EXPECT_EQ(Head(snap, Marker(cid).size()), Marker(cid));
  EXPECT_EQ(DevicesWithSerial(cid, false), 1u);  // the guest kept its disk

  skip = console_->Events().size();
  ASSERT_TRUE(Call("detach_disk", {vm_, cid})["error"].is_null());
  EXPECT_TRUE(WaitForDisk("disk_removed", cid, skip)) << console_->Tail();
  EXPECT_TRUE(Call("delete_snapshot", {snap})["error"].is_null());
  EXPECT_TRUE(Call("delete_disk", {cid})["error"].is_null());
}

TEST_F(E2eDiskTest, AttachedDiskSurvivesRebootVm) {
  std::string cid = NewRawDisk();
  size_t skip = console_->Events().size();
  ASSERT_TRUE(Call("attach_disk", {vm_, cid})["error"].is_null());
  ASSERT_TRUE(WaitForDisk("disk_written", cid, skip)) << console_->Tail();

  skip = console_->Events().size();
  ASSERT_TRUE(Call("reboot_vm", {vm_})["error"].is_null());
  ASSERT_TRUE(console_->WaitForEvent("boot", kBoot, skip)) << console_->Tail();
  std::optional<json> disks = console_->WaitForEvent("disks", kBoot, skip);
  ASSERT_TRUE(disks) << console_->Tail();
  bool listed = false;
  for (const json& d : (*disks)["disks"]) listed = listed || d.value("serial", "") == cid;
  EXPECT_TRUE(listed) << disks->dump();
  // The same disk, with the data written before the reboot.
  std::optional<json> seen = WaitForDisk("disk_seen_data", cid, skip, kBoot);
  ASSERT_TRUE(seen) << console_->Tail();
  EXPECT_EQ((*seen)["head"], "BOSH-TEST-DATA " + cid);
  ASSERT_TRUE(console_->WaitForEvent("ready", kBoot, skip)) << console_->Tail();

  skip = console_->Events().size();
  ASSERT_TRUE(Call("detach_disk", {vm_, cid})["error"].is_null());
  EXPECT_TRUE(WaitForDisk("disk_removed", cid, skip)) << console_->Tail();
  EXPECT_TRUE(Call("delete_disk", {cid})["error"].is_null());
}

}  // namespace
}  // namespace cpi::testing
