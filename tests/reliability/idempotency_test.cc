// Issue 6, item 5: BOSH retries and keeps CIDs forever, so every delete and detach is done twice,
// has_* asked about unknown and malformed CIDs, and attach done twice; each answer is what the
// contract allows (docs/CONTRACT.md §9) and the second call changes nothing.
#include <gtest/gtest.h>

#include "reliability/reliability_support.h"
#include "support/cpi_request.h"
#include "support/libvirt_world.h"

namespace cpi::testing::reliability {
namespace {

class ReliabilityIdempotencyTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    ASSERT_TRUE(LibvirtAvailable());
    world_ = new LibvirtWorld("relid");
    stemcell_ = AddStemcellWithSidecar(world_->conn(), world_->pool());
  }
  static void TearDownTestSuite() {
    delete world_;
    world_ = nullptr;
  }
  json Call(const std::string& method, const json& args) {
    return CallCpi(world_->config_path(), method, args);
  }
  std::string Vm() {
    json r = Call("create_vm", {"agent-id",
                                stemcell_,
                                {{"memory", 128}},
                                ManualNetwork(world_->network(), world_->subnet_prefix() + ".50"),
                                json::array(),
                                json::object()});
    EXPECT_TRUE(r["error"].is_null()) << r.dump();
    return r["result"][0];
  }
  std::vector<std::string> Volumes() {
    std::vector<std::string> v = world_->Volumes();
    std::sort(v.begin(), v.end());
    return v;
  }

  static LibvirtWorld* world_;
  static std::string stemcell_;
};

LibvirtWorld* ReliabilityIdempotencyTest::world_ = nullptr;
std::string ReliabilityIdempotencyTest::stemcell_;

// Unknown, malformed and hostile CIDs: has_* say false, deletes succeed (or DiskNotFound), and
// nothing is touched.
const char* const kUnknownCids[] = {"vm-00000000-0000-4000-8000-000000000000",
                                    "disk-000000000000000",
                                    "sc-00000000-0000-4000-8000-000000000000",
                                    "snap-00000000-0000-4000-8000-000000000000",
                                    "",
                                    "x",
                                    "../../../etc/passwd",
                                    "vm-../../etc",
                                    "disk-../../../tmp/x",
                                    "default",
                                    "vm-00000000-0000-4000-8000-000000000000-root"};

TEST_F(ReliabilityIdempotencyTest, HasAndDeleteOfUnknownCids) {
  std::vector<std::string> before = Volumes();
  for (const char* cid : kUnknownCids) {
    SCOPED_TRACE(std::string("cid '") + cid + "'");
    EXPECT_EQ(Call("has_vm", {cid})["result"], false);
    EXPECT_EQ(Call("has_disk", {cid})["result"], false);
    EXPECT_TRUE(Call("delete_vm", {cid})["error"].is_null());
    json d = Call("delete_disk", {cid});
    EXPECT_TRUE(d["error"].is_null() || ErrorType(d) == "Bosh::Clouds::DiskNotFound") << d.dump();
    EXPECT_TRUE(Call("delete_stemcell", {cid})["error"].is_null());
    json s = Call("delete_snapshot", {cid});
    EXPECT_TRUE(s["error"].is_null() || ErrorType(s) == "Bosh::Clouds::DiskNotFound") << s.dump();
  }
  EXPECT_EQ(Volumes(), before);
  EXPECT_TRUE(FilesIn(world_->lock_dir()).empty());
}

TEST_F(ReliabilityIdempotencyTest, EveryDeleteAndDetachTwiceAttachTwice) {
  std::vector<std::string> before = Volumes();
  std::string vm = Vm();
  std::string disk = Call("create_disk", {16, json::object(), vm})["result"];

  // attach twice: the same hint, one device.
  json first = Call("attach_disk", {vm, disk});
  json second = Call("attach_disk", {vm, disk});
  ASSERT_TRUE(first["error"].is_null()) << first.dump();
  EXPECT_EQ(second, first);
  int devices = 0;
  for (const auto& [target, serial] : DiskTargets(world_->conn(), vm, true))
    devices += serial == disk;
  EXPECT_EQ(devices, 1);
  EXPECT_EQ(Call("get_disks", {vm})["result"], json::array({disk}));

  // detach twice (a stopped VM: the definition alone; a running one needs the guest's consent).
  ASSERT_TRUE(Call("reboot_vm", {vm})["error"].is_null());
  std::optional<virt::DomainPtr> dom = world_->conn().FindDomain(vm);
  virDomainDestroy(dom->get());
  EXPECT_TRUE(Call("detach_disk", {vm, disk})["error"].is_null());
  json again = Call("detach_disk", {vm, disk});
  EXPECT_EQ(ErrorType(again), "Bosh::Clouds::DiskNotAttached") << again.dump();
  EXPECT_EQ(Call("get_disks", {vm})["result"], json::array());

  // snapshot, then each delete twice.
  std::string snap = Call("snapshot_disk", {disk, {{"deployment", "d"}}})["result"];
  for (int i = 0; i < 2; ++i) {
    EXPECT_TRUE(Call("delete_snapshot", {snap})["error"].is_null());
    EXPECT_TRUE(Call("delete_vm", {vm})["error"].is_null());
    json d = Call("delete_disk", {disk});
    EXPECT_TRUE(d["error"].is_null() || ErrorType(d) == "Bosh::Clouds::DiskNotFound") << d.dump();
  }
  EXPECT_EQ(Call("has_vm", {vm})["result"], false);
  EXPECT_EQ(Call("has_disk", {disk})["result"], false);
  EXPECT_EQ(Volumes(), before);

  // delete_stemcell twice (a copy, so the suite's stemcell stays).
  std::string sc = AddStemcellWithSidecar(world_->conn(), world_->pool());
  EXPECT_TRUE(Call("delete_stemcell", {sc})["error"].is_null());
  EXPECT_TRUE(Call("delete_stemcell", {sc})["error"].is_null());
  EXPECT_EQ(Volumes(), before);
  EXPECT_TRUE(FilesIn(world_->lock_dir()).empty());
}

// The CLI deletes a VM without detaching first, then deletes the disk; each twice.
TEST_F(ReliabilityIdempotencyTest, DeleteVmWithDiskAttachedKeepsTheDiskThenBothTwice) {
  std::vector<std::string> before = Volumes();
  std::string vm = Vm();
  std::string disk = Call("create_disk", {16, json::object(), vm})["result"];
  ASSERT_TRUE(Call("attach_disk", {vm, disk})["error"].is_null());
  EXPECT_TRUE(Call("delete_vm", {vm})["error"].is_null());
  EXPECT_TRUE(Call("delete_vm", {vm})["error"].is_null());
  EXPECT_EQ(Call("has_disk", {disk})["result"], true);
  EXPECT_TRUE(Call("delete_disk", {disk})["error"].is_null());
  json d = Call("delete_disk", {disk});
  EXPECT_TRUE(d["error"].is_null() || ErrorType(d) == "Bosh::Clouds::DiskNotFound") << d.dump();
  EXPECT_EQ(Volumes(), before);
}

}  // namespace
}  // namespace cpi::testing::reliability
