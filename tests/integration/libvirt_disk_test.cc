// Persistent disks and snapshots through the real executable against the real libvirtd; every
// check reads libvirt's own state (volume and domain XML, volume bytes). The VMs come from a
// fake, non-booting stemcell: libvirt's view is what is checked here, the guest's view is the
// end-to-end suite's (tests/e2e/e2e_disk_test.cc).
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <memory>
#include <set>
#include <thread>

#include <nlohmann/json.hpp>

#include "bosh_libvirt_cpi/agent/config_drive.h"
#include "bosh_libvirt_cpi/config/config.h"
#include "bosh_libvirt_cpi/disk/disk_metadata.h"
#include "bosh_libvirt_cpi/disk/disk_service.h"
#include "bosh_libvirt_cpi/errors.h"
#include "bosh_libvirt_cpi/host/host.h"
#include "bosh_libvirt_cpi/virt/domain.h"
#include "bosh_libvirt_cpi/virt/storage.h"
#include "bosh_libvirt_cpi/vm/domain_spec.h"
#include "bosh_libvirt_cpi/xml/document.h"
#include "support/cpi_request.h"
#include "support/fake_stemcell.h"
#include "support/libvirt_world.h"

namespace cpi::testing {
namespace {

using nlohmann::json;

constexpr const char* kMissingVm = "vm-00000000-0000-4000-8000-000000000000";
constexpr const char* kMissingDisk = "disk-000000000000000";
constexpr const char* kMissingSnapshot = "snap-00000000-0000-4000-8000-000000000000";

class LibvirtDiskTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    world_ = new LibvirtWorld("disk");
    stemcell_ = AddFakeStemcell(*world_);
    config_ =
        new config::Config(config::Load(world_->ConfigJson(), world_->config_path(), std::nullopt));
  }
  static void TearDownTestSuite() {
    delete config_;
    config_ = nullptr;
    delete world_;
    world_ = nullptr;
  }

  // --- calls through the executable ----------------------------------------------------------
  static json Call(const std::string& method, const json& args, int api_version = 2) {
    return CallCpi(world_->config_path(), method, args, api_version);
  }
  // A request whose context says the VM's stemcell has API version `stemcell_api`.
  static json CallWithStemcellApi(const std::string& method, const json& args, int stemcell_api) {
    ProcessResult p =
        RunCpi(DirectorRequest(method, args, 2, stemcell_api), {"--config", world_->config_path()});
    EXPECT_EQ(p.exit_code, 0) << p.err;
    return json::parse(p.out);
  }
  static void ExpectOk(const json& r) { EXPECT_TRUE(r["error"].is_null()) << r.dump(); }
  static void ExpectError(const json& r, const std::string& type, const std::string& needle = "") {
    ASSERT_TRUE(r["error"].is_object()) << r.dump();
    EXPECT_EQ(r["error"]["type"], type) << r.dump();
    EXPECT_TRUE(r["result"].is_null());
    if (!needle.empty()) {
      EXPECT_NE(r["error"]["message"].get<std::string>().find(needle), std::string::npos)
          << r.dump();
    }
  }

  std::string CreateVm() {
    json networks = {{"default",
                      {{"type", "manual"},
                       {"ip", world_->subnet_prefix() + "." + std::to_string(10 + next_ip_++)},
                       {"netmask", "255.255.255.0"},
                       {"gateway", world_->subnet_prefix() + ".1"},
                       {"default", {"dns", "gateway"}},
                       {"cloud_properties", {{"network", world_->network()}}}}}};
    json r =
        Call("create_vm",
             {"agent-disk", stemcell_, {{"memory", 128}}, networks, json::array(), json::object()});
    EXPECT_TRUE(r["error"].is_null()) << r.dump();
    return r["result"][0];
  }

  std::string CreateDisk(int64_t mib, const json& cloud_properties = json::object()) {
    json r = Call("create_disk", {mib, cloud_properties, nullptr});
    EXPECT_TRUE(r["error"].is_null()) << r.dump();
    return r["result"].is_string() ? r["result"].get<std::string>() : "";
  }

  // --- libvirt's own state --------------------------------------------------------------------
  static std::optional<virt::StorageVolPtr> Volume(const std::string& name) {
    auto pool = world_->conn().FindStoragePool(world_->pool());
    return world_->conn().FindVolume(pool->get(), name);
  }
  static std::string VolumeXml(const std::string& name) {
    auto vol = Volume(name);
    return vol ? virt::VolumeXml(vol->get(), name) : "";
  }
  // The disk's metadata as the CPI reads it back (disk::ReadDiskMetadata); null when none.
  static json StoredMetadata(const std::string& cid) {
    host::Host host = host::Host::Open(*config_);
    return disk::ReadDiskMetadata(host, cid).value_or(json());
  }
  static std::string Download(const std::string& name) {
    auto vol = Volume(name);
    if (!vol) return "";
    return virt::DownloadVolume(world_->conn().get(), vol->get(), name);
  }
  static void Upload(const std::string& name, const std::string& bytes) {
    auto vol = Volume(name);
    ASSERT_TRUE(vol) << name;
    virt::UploadBytes(world_->conn().get(), vol->get(), bytes, name);
  }
  static std::string DomainXml(const std::string& vm, bool inactive) {
    auto dom = world_->conn().FindDomain(vm);
    return dom ? virt::DomainXml(dom->get(), vm, inactive) : "";
  }
  static bool Running(const std::string& vm) {
    auto dom = world_->conn().FindDomain(vm);
    return dom && virt::DomainActive(dom->get(), vm);
  }
  static void PowerOff(const std::string& vm) {
    auto dom = world_->conn().FindDomain(vm);
    ASSERT_TRUE(dom);
    virt::DestroyDomain(dom->get(), vm);
  }
  // The <disk> elements whose serial is `cid` in the live or persistent XML.
  static std::vector<std::string> DiskElements(const std::string& vm, const std::string& cid,
                                               bool inactive) {
    xml::Document doc = xml::Document::Parse(DomainXml(vm, inactive), "domain " + vm);
    return doc.ElementsXml("/domain/devices/disk[serial='" + cid + "']");
  }
  static std::string VolumePath(const std::string& name) {
    return xml::Document::Parse(VolumeXml(name), "volume " + name).String("/volume/target/path");
  }
  // Whether two images hold the same guest-visible bytes (whatever their formats): `qemu-img
  // compare`, sharing the locks of a running QEMU (-U).
  static bool SameGuestContent(const std::string& a, const std::string& b) {
    std::string cmd = "qemu-img compare -q -U '" + VolumePath(a) + "' '" + VolumePath(b) + "'";
    return std::system(cmd.c_str()) == 0;
  }
  // Fills a qcow2 disk with `bytes` as its guest-visible content (a qcow2 image made by qemu-img
  // and uploaded over the volume, as stemcells are).
  static void UploadAsQcow2(const std::string& name, const std::string& bytes) {
    std::string raw = "/tmp/" + name + ".raw", qcow2 = "/tmp/" + name + ".qcow2";
    {
      std::unique_ptr<FILE, int (*)(FILE*)> f(fopen(raw.c_str(), "wb"), fclose);
      fwrite(bytes.data(), 1, bytes.size(), f.get());
    }
    ASSERT_EQ(std::system(("qemu-img convert -q -f raw -O qcow2 " + raw + " " + qcow2).c_str()), 0);
    std::ifstream in(qcow2, std::ios::binary);
    std::string image((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    unlink(raw.c_str());
    unlink(qcow2.c_str());
    Upload(name, image);
  }
  static std::string Pattern(size_t bytes, char seed) {
    std::string s(bytes, '\0');
    for (size_t i = 0; i < bytes; ++i) s[i] = static_cast<char>((i * 131 + seed) % 251);
    return s;
  }

  static LibvirtWorld* world_;
  static std::string stemcell_;
  static config::Config* config_;
  int next_ip_ = 0;
};

LibvirtWorld* LibvirtDiskTest::world_ = nullptr;
std::string LibvirtDiskTest::stemcell_;
config::Config* LibvirtDiskTest::config_ = nullptr;

TEST_F(LibvirtDiskTest, CreatesBlankQcow2AndRawVolumesOfTheRequestedSize) {
  json r = Call("create_disk", {64, json::object(), kMissingVm});  // unknown hint VM: ignored
  ExpectOk(r);
  std::string qcow2 = r["result"];
  EXPECT_EQ(qcow2.size(), 20u);
  EXPECT_EQ(qcow2.rfind("disk-", 0), 0u);
  xml::Document vol = xml::Document::Parse(VolumeXml(qcow2), "volume");
  EXPECT_EQ(vol.String("/volume/target/format/@type"), "qcow2");
  EXPECT_EQ(vol.String("/volume/capacity"), std::to_string(64ull << 20));

  std::string raw = CreateDisk(16, {{"format", "raw"}, {"name", "dynamic-disk"}});
  xml::Document raw_vol = xml::Document::Parse(VolumeXml(raw), "volume");
  EXPECT_EQ(raw_vol.String("/volume/target/format/@type"), "raw");
  EXPECT_EQ(raw_vol.String("/volume/capacity"), std::to_string(16ull << 20));
  EXPECT_EQ(Download(raw), std::string(16 << 20, '\0'));  // blank

  EXPECT_EQ(Call("has_disk", {qcow2})["result"], true);
  EXPECT_EQ(Call("has_disk", {raw})["result"], true);
  ExpectOk(Call("delete_disk", {qcow2}));
  ExpectOk(Call("delete_disk", {raw}));
  EXPECT_EQ(Call("has_disk", {qcow2})["result"], false);
  EXPECT_FALSE(Volume(raw));
}

TEST_F(LibvirtDiskTest, BadCreateRequestsCreateNothing) {
  size_t before = world_->Volumes().size();
  ExpectError(Call("create_disk", {64, {{"format", "vmdk"}}, nullptr}), "Bosh::Clouds::CpiError",
              "cloud_properties.format");
  ExpectError(Call("create_disk", {0, json::object(), nullptr}), "Bosh::Clouds::CpiError",
              "out of range");
  ExpectError(Call("create_disk", {-5, nullptr, nullptr}), "Bosh::Clouds::CpiError");
  EXPECT_EQ(world_->Volumes().size(), before);
}

TEST_F(LibvirtDiskTest, AttachHotPlugsIntoLiveAndPersistentDefinition) {
  std::string vm = CreateVm();
  std::string cid = CreateDisk(32);
  json r = Call("attach_disk", {vm, cid});
  ExpectOk(r);
  EXPECT_EQ(r["result"], json({{"path", "/dev/disk/by-id/virtio-" + cid}}));

  for (bool inactive : {false, true}) {
    std::vector<std::string> elements = DiskElements(vm, cid, inactive);
    ASSERT_EQ(elements.size(), 1u) << (inactive ? "persistent" : "live");
    xml::Document disk = xml::Document::Parse(elements[0], "disk");
    EXPECT_EQ(disk.String("/disk/@type"), "file");
    EXPECT_EQ(disk.String("/disk/@device"), "disk");
    EXPECT_EQ(disk.String("/disk/driver/@type"), "qcow2");
    EXPECT_EQ(disk.String("/disk/target/@bus"), "virtio");
    EXPECT_EQ(disk.String("/disk/target/@dev"), "vdc");
    EXPECT_EQ(disk.String("/disk/alias/@name"), "ua-" + cid);
    EXPECT_EQ(disk.String("/disk/source/@file"),
              xml::Document::Parse(VolumeXml(cid), "v").String("/volume/target/path"));
  }
  EXPECT_TRUE(Running(vm));

  // Again: the same hint, nothing added.
  json again = Call("attach_disk", {vm, cid});
  ExpectOk(again);
  EXPECT_EQ(again["result"], r["result"]);
  EXPECT_EQ(DiskElements(vm, cid, false).size(), 1u);
  EXPECT_EQ(DiskElements(vm, cid, true).size(), 1u);
  // API v1 callers get null.
  json v1 = Call("attach_disk", {vm, cid}, 1);
  ExpectOk(v1);
  EXPECT_TRUE(v1["result"].is_null());

  // get_disks: the persistent disk only (not root, ephemeral or config drive).
  EXPECT_EQ(Call("get_disks", {vm})["result"], json::array({cid}));

  // A disk in use is never deleted.
  ExpectError(Call("delete_disk", {cid}), "Bosh::Clouds::CloudError", vm);
  EXPECT_TRUE(Volume(cid));
  ExpectOk(Call("delete_vm", {vm}));
  ExpectOk(Call("delete_disk", {cid}));
}

TEST_F(LibvirtDiskTest, AttachingADiskInUseByAnotherVmNamesThatVm) {
  std::string first = CreateVm();
  std::string second = CreateVm();
  std::string cid = CreateDisk(16);
  ExpectOk(Call("attach_disk", {first, cid}));
  ExpectError(Call("attach_disk", {second, cid}), "Bosh::Clouds::CloudError", first);
  EXPECT_TRUE(DiskElements(second, cid, true).empty());
  EXPECT_TRUE(DiskElements(second, cid, false).empty());
  ExpectOk(Call("delete_vm", {first}));
  ExpectOk(Call("delete_vm", {second}));
  ExpectOk(Call("delete_disk", {cid}));
}

TEST_F(LibvirtDiskTest, ConcurrentAttachesToOneVmPickDistinctTargets) {
  std::string vm = CreateVm();
  std::vector<std::string> disks;
  for (int i = 0; i < 4; ++i) disks.push_back(CreateDisk(8));
  std::vector<json> results(disks.size());
  std::vector<std::thread> threads;
  for (size_t i = 0; i < disks.size(); ++i) {
    threads.emplace_back([&, i] { results[i] = Call("attach_disk", {vm, disks[i]}); });
  }
  for (std::thread& t : threads) t.join();
  for (const json& r : results) ExpectOk(r);

  for (bool inactive : {false, true}) {
    std::set<std::string> targets;
    for (const std::string& cid : disks) {
      std::vector<std::string> elements = DiskElements(vm, cid, inactive);
      ASSERT_EQ(elements.size(), 1u) << cid;
      targets.insert(xml::Document::Parse(elements[0], "d").String("/disk/target/@dev"));
    }
    EXPECT_EQ(targets, (std::set<std::string>{"vdc", "vdd", "vde", "vdf"}));
  }
  json listed = Call("get_disks", {vm})["result"];
  EXPECT_EQ(listed.size(), 4u) << listed.dump();
  ExpectOk(Call("delete_vm", {vm}));
  for (const std::string& cid : disks) ExpectOk(Call("delete_disk", {cid}));
}

TEST_F(LibvirtDiskTest, StoppedVmChangesOnlyTheDefinition) {
  std::string vm = CreateVm();
  PowerOff(vm);
  std::string cid = CreateDisk(16, {{"format", "raw"}});
  ExpectOk(Call("attach_disk", {vm, cid}));
  EXPECT_FALSE(Running(vm));
  std::vector<std::string> elements = DiskElements(vm, cid, true);
  ASSERT_EQ(elements.size(), 1u);
  EXPECT_EQ(xml::Document::Parse(elements[0], "d").String("/disk/driver/@type"), "raw");
  EXPECT_EQ(Call("get_disks", {vm})["result"], json::array({cid}));

  ExpectOk(Call("detach_disk", {vm, cid}));
  EXPECT_TRUE(DiskElements(vm, cid, true).empty());
  EXPECT_FALSE(Running(vm));
  EXPECT_EQ(Call("get_disks", {vm})["result"], json::array());
  json again = Call("detach_disk", {vm, cid});
  ExpectError(again, "Bosh::Clouds::DiskNotAttached", cid);
  EXPECT_EQ(again["error"]["ok_to_retry"], true);

  // Starting the VM again brings no trace of the disk back.
  ExpectOk(Call("reboot_vm", {vm}));
  EXPECT_TRUE(Running(vm));
  EXPECT_TRUE(DiskElements(vm, cid, false).empty());
  ExpectOk(Call("delete_vm", {vm}));
  ExpectOk(Call("delete_disk", {cid}));
}

TEST_F(LibvirtDiskTest, LiveDetachThatTheGuestNeverAcknowledgesFailsAfterTheBound) {
  // The fake stemcell boots no OS, so ACPI hot-unplug is never acknowledged.
  std::string vm = CreateVm();
  std::string cid = CreateDisk(8);
  ExpectOk(Call("attach_disk", {vm, cid}));

  host::Host host = host::Host::Open(*config_);
  disk::DetachOptions quick;
  quick.timeout = std::chrono::milliseconds(1500);
  quick.reissue_every = std::chrono::milliseconds(500);
  auto start = std::chrono::steady_clock::now();
  try {
    disk::DetachDisk(host, vm, cid, quick);
    ADD_FAILURE() << "detach succeeded without the guest";
  } catch (const Error& e) {
    EXPECT_EQ(e.type(), ErrorType::kCloudError);
    EXPECT_NE(std::string(e.what()).find("did not release"), std::string::npos) << e.what();
  }
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_GE(seconds, 1.5);
  EXPECT_LT(seconds, 10.0);
  // Gone from the definition (Nova's order: config first), still in the running domain.
  EXPECT_TRUE(DiskElements(vm, cid, true).empty());
  EXPECT_EQ(DiskElements(vm, cid, false).size(), 1u);

  // Still in use: another VM cannot have it, delete_disk refuses, get_disks lists it.
  std::string other = CreateVm();
  ExpectError(Call("attach_disk", {other, cid}), "Bosh::Clouds::CloudError", vm);
  ExpectError(Call("delete_disk", {cid}), "Bosh::Clouds::CloudError", vm);
  EXPECT_EQ(Call("get_disks", {vm})["result"], json::array({cid}));

  // A retry asks again (it is not "not attached") and fails the same way.
  try {
    disk::DetachDisk(host, vm, cid, quick);
    ADD_FAILURE() << "second detach succeeded";
  } catch (const Error& e) {
    EXPECT_EQ(e.type(), ErrorType::kCloudError) << e.what();
  }
  // attach_disk completes a half-detached disk instead of adding a second device.
  ExpectOk(Call("attach_disk", {vm, cid}));
  EXPECT_EQ(DiskElements(vm, cid, true).size(), 1u);
  EXPECT_EQ(DiskElements(vm, cid, false).size(), 1u);

  // Once the VM is off, the detach completes at once.
  PowerOff(vm);
  ExpectOk(Call("detach_disk", {vm, cid}));
  EXPECT_TRUE(DiskElements(vm, cid, true).empty());
  ExpectOk(Call("attach_disk", {other, cid}));
  ExpectOk(Call("delete_vm", {vm}));
  ExpectOk(Call("delete_vm", {other}));
  ExpectOk(Call("delete_disk", {cid}));
}

TEST_F(LibvirtDiskTest, ResizeGrowsAndRefusesShrinking) {
  std::string cid = CreateDisk(16);
  ExpectOk(Call("resize_disk", {cid, 48}));
  EXPECT_EQ(xml::Document::Parse(VolumeXml(cid), "v").String("/volume/capacity"),
            std::to_string(48ull << 20));
  ExpectOk(Call("resize_disk", {cid, 48}));  // same size: nothing to do
  ExpectError(Call("resize_disk", {cid, 32}), "Bosh::Clouds::NotSupported", "shrinking");
  EXPECT_EQ(xml::Document::Parse(VolumeXml(cid), "v").String("/volume/capacity"),
            std::to_string(48ull << 20));
  ExpectError(Call("resize_disk", {cid, 0}), "Bosh::Clouds::CpiError");

  // update_disk: growth in place answers null; a format change or a shrink is NotSupported.
  json updated = Call("update_disk", {cid, 64, {{"format", "qcow2"}}});
  ExpectOk(updated);
  EXPECT_TRUE(updated["result"].is_null());
  EXPECT_EQ(xml::Document::Parse(VolumeXml(cid), "v").String("/volume/capacity"),
            std::to_string(64ull << 20));
  ExpectError(Call("update_disk", {cid, 64, {{"format", "raw"}}}), "Bosh::Clouds::NotSupported",
              "format");
  ExpectError(Call("update_disk", {cid, 16, json::object()}), "Bosh::Clouds::NotSupported");
  ExpectError(Call("update_disk", {cid, 64, {{"format", "vhd"}}}), "Bosh::Clouds::CpiError");

  // Attached: the Director detaches first; if not, answer CloudError naming the VM.
  std::string vm = CreateVm();
  ExpectOk(Call("attach_disk", {vm, cid}));
  ExpectError(Call("resize_disk", {cid, 80}), "Bosh::Clouds::CloudError", vm);
  ExpectOk(Call("delete_vm", {vm}));
  ExpectOk(Call("delete_disk", {cid}));
}

TEST_F(LibvirtDiskTest, SnapshotOfADetachedDiskIsAnIdenticalIndependentCopy) {
  std::string cid = CreateDisk(4, {{"format", "raw"}});
  std::string pattern = Pattern(4 << 20, 7);
  Upload(cid, pattern);
  json metadata = {{"deployment", "dep"}, {"job", "web"}, {"index", 0}, {"director_name", "d"}};
  json r = Call("snapshot_disk", {cid, metadata});
  ExpectOk(r);
  std::string snap = r["result"];
  EXPECT_EQ(snap.rfind("snap-", 0), 0u);
  EXPECT_EQ(Download(snap), pattern);

  host::Host host = host::Host::Open(*config_);
  std::optional<json> record = disk::ReadSnapshotRecord(host, snap);
  ASSERT_TRUE(record);
  EXPECT_EQ((*record)["disk_cid"], cid);
  EXPECT_EQ((*record)["metadata"], metadata);
  EXPECT_EQ((*record)["method"], "clone");

  // Independent: changing the disk leaves the snapshot as it was.
  Upload(cid, Pattern(4 << 20, 9));
  EXPECT_EQ(Download(snap), pattern);
  EXPECT_EQ(Call("has_disk", {snap})["result"], false);  // a snapshot is not a disk

  // A qcow2 disk is cloned as qcow2 with the same guest-visible content.
  std::string qcow2 = CreateDisk(4);
  UploadAsQcow2(qcow2, Pattern(4 << 20, 5));
  EXPECT_FALSE(SameGuestContent(qcow2, cid));  // the comparison can tell
  json q = Call("snapshot_disk", {qcow2, json::object()});
  ExpectOk(q);
  std::string qsnap = q["result"];
  EXPECT_EQ(xml::Document::Parse(VolumeXml(qsnap), "v").String("/volume/target/format/@type"),
            "qcow2");
  EXPECT_TRUE(SameGuestContent(qcow2, qsnap));
  ExpectOk(Call("delete_snapshot", {qsnap}));
  ExpectOk(Call("delete_disk", {qcow2}));

  ExpectOk(Call("delete_snapshot", {snap}));
  EXPECT_FALSE(Volume(snap));
  EXPECT_FALSE(Volume(snap + "-meta"));
  ExpectOk(Call("delete_snapshot", {snap}));  // missing: success
  ExpectOk(Call("delete_disk", {cid}));
}

TEST_F(LibvirtDiskTest, SnapshotOfADiskInARunningVmUsesABackupJob) {
  std::string cid = CreateDisk(4, {{"format", "raw"}});
  std::string pattern = Pattern(4 << 20, 3);
  Upload(cid, pattern);
  std::string vm = CreateVm();
  ExpectOk(Call("attach_disk", {vm, cid}));
  ASSERT_TRUE(Running(vm));

  json r = Call("snapshot_disk", {cid, {{"index", 0}}});
  ExpectOk(r);
  std::string snap = r["result"];
  EXPECT_EQ(Download(snap), pattern);
  host::Host host = host::Host::Open(*config_);
  std::optional<json> record = disk::ReadSnapshotRecord(host, snap);
  ASSERT_TRUE(record);
  EXPECT_EQ((*record)["method"], "backup");
  EXPECT_EQ((*record)["vm"], vm);
  EXPECT_TRUE(Running(vm));
  EXPECT_EQ(DiskElements(vm, cid, false).size(), 1u);

  // A qcow2 disk in the running VM: the backup job writes a qcow2 copy of what the guest sees.
  std::string qcow2 = CreateDisk(4);
  UploadAsQcow2(qcow2, Pattern(4 << 20, 13));
  ExpectOk(Call("attach_disk", {vm, qcow2}));
  json q = Call("snapshot_disk", {qcow2, json::object()});
  ExpectOk(q);
  std::string qsnap = q["result"];
  EXPECT_EQ((*disk::ReadSnapshotRecord(host, qsnap))["method"], "backup");
  EXPECT_EQ(xml::Document::Parse(VolumeXml(qsnap), "v").String("/volume/target/format/@type"),
            "qcow2");
  EXPECT_TRUE(SameGuestContent(qcow2, qsnap));
  ExpectOk(Call("delete_snapshot", {qsnap}));

  // A stopped VM's disk is cloned.
  PowerOff(vm);
  json r2 = Call("snapshot_disk", {cid, nullptr});
  ExpectOk(r2);
  std::string snap2 = r2["result"];
  EXPECT_EQ(Download(snap2), pattern);
  EXPECT_EQ((*disk::ReadSnapshotRecord(host, snap2))["method"], "clone");

  ExpectOk(Call("delete_snapshot", {snap}));
  ExpectOk(Call("delete_snapshot", {snap2}));
  ExpectOk(Call("delete_vm", {vm}));
  ExpectOk(Call("delete_disk", {cid}));
  ExpectOk(Call("delete_disk", {qcow2}));
}

TEST_F(LibvirtDiskTest, MetadataLivesBesideTheDiskAndSurvivesDetach) {
  std::string vm = CreateVm();
  PowerOff(vm);
  std::string cid = CreateDisk(8);
  ExpectOk(Call("attach_disk", {vm, cid}));
  json metadata = {{"director", "d"},
                   {"deployment", "dep"},
                   {"instance_id", "i-1"},
                   {"instance_group", "web"},
                   {"attached_at", "2026-01-01T00:00:00Z"},
                   {"odd <&> key", "'\"]]>"}};
  ExpectOk(Call("set_disk_metadata", {cid, metadata}));
  // What `virsh vol-download` shows: the first slot's record.
  EXPECT_EQ(json::parse(Download(cid + "-meta")),
            json({{"generation", 1}, {"metadata", metadata}}));
  EXPECT_EQ(StoredMetadata(cid), metadata);

  ExpectOk(Call("detach_disk", {vm, cid}));
  EXPECT_EQ(StoredMetadata(cid), metadata);
  ExpectOk(Call("delete_vm", {vm}));
  EXPECT_EQ(StoredMetadata(cid), metadata);

  // Replaced on each call (also by a shorter document), written into the other slot first.
  ExpectOk(Call("set_disk_metadata", {cid, {{"a", "b"}}}));
  EXPECT_EQ(StoredMetadata(cid), json({{"a", "b"}}));
  EXPECT_EQ(json::parse(Download(cid + "-meta-alt")),
            json({{"generation", 2}, {"metadata", {{"a", "b"}}}}));
  EXPECT_FALSE(Volume(cid + "-meta"));
  ExpectOk(Call("set_disk_metadata", {cid, {{"c", "d"}}}));
  EXPECT_EQ(StoredMetadata(cid), json({{"c", "d"}}));
  EXPECT_TRUE(Volume(cid + "-meta"));
  EXPECT_FALSE(Volume(cid + "-meta-alt"));

  // Deleting the disk deletes its sidecars.
  ExpectOk(Call("set_disk_metadata", {cid, {{"e", "f"}}}));
  ExpectOk(Call("delete_disk", {cid}));
  EXPECT_FALSE(Volume(cid + "-meta"));
  EXPECT_FALSE(Volume(cid + "-meta-alt"));
}

TEST_F(LibvirtDiskTest, MissingObjectsAnswerAsTheContractSays) {
  std::string vm = CreateVm();
  std::string cid = CreateDisk(8);
  const std::string cloud = "Bosh::Clouds::CloudError";
  ExpectError(Call("attach_disk", {kMissingVm, cid}), cloud, std::string("VM '") + kMissingVm);
  ExpectError(Call("attach_disk", {vm, kMissingDisk}), cloud, "not found");
  ExpectError(Call("attach_disk", {vm, "not-a-disk"}), cloud, "not found");
  ExpectError(Call("detach_disk", {kMissingVm, cid}), cloud, "not found");
  ExpectError(Call("detach_disk", {vm, cid}), "Bosh::Clouds::DiskNotAttached");
  ExpectError(Call("detach_disk", {vm, kMissingDisk}), "Bosh::Clouds::DiskNotAttached");
  ExpectError(Call("get_disks", {kMissingVm}), cloud, "not found");
  EXPECT_EQ(Call("has_disk", {kMissingDisk})["result"], false);
  EXPECT_EQ(Call("has_disk", {"../../etc/passwd"})["result"], false);
  EXPECT_EQ(Call("has_disk", {""})["result"], false);
  ExpectOk(Call("delete_disk", {kMissingDisk}));
  ExpectOk(Call("delete_disk", {"garbage"}));
  ExpectError(Call("resize_disk", {kMissingDisk, 10}), "Bosh::Clouds::DiskNotFound");
  ExpectError(Call("update_disk", {kMissingDisk, 10, nullptr}), "Bosh::Clouds::DiskNotFound");
  ExpectError(Call("set_disk_metadata", {kMissingDisk, {{"a", "b"}}}),
              "Bosh::Clouds::DiskNotFound");
  ExpectError(Call("snapshot_disk", {kMissingDisk, json::object()}), "Bosh::Clouds::DiskNotFound");
  ExpectOk(Call("delete_snapshot", {kMissingSnapshot}));
  ExpectOk(Call("delete_snapshot", {"snap-garbage"}));
  EXPECT_FALSE(Volume(std::string(kMissingDisk) + "-meta"));

  // Delete twice.
  ExpectOk(Call("delete_disk", {cid}));
  ExpectOk(Call("delete_disk", {cid}));
  EXPECT_EQ(Call("has_disk", {cid})["result"], false);
  ExpectError(Call("attach_disk", {vm, cid}), cloud, "not found");
  ExpectOk(Call("delete_vm", {vm}));
}

TEST_F(LibvirtDiskTest, DeleteVmKeepsAnAttachedDiskIntactForTheNextVm) {
  std::string cid = CreateDisk(4, {{"format", "raw"}});
  std::string pattern = Pattern(4 << 20, 11);
  Upload(cid, pattern);
  std::string first = CreateVm();
  ExpectOk(Call("attach_disk", {first, cid}));
  ExpectOk(Call("set_disk_metadata", {cid, {{"instance_id", "i-1"}}}));
  ExpectOk(Call("delete_vm", {first}));  // no detach_disk first, as the CLI does
  EXPECT_FALSE(world_->conn().FindDomain(first));
  EXPECT_TRUE(Volume(cid));
  EXPECT_TRUE(Volume(cid + "-meta"));

  std::string second = CreateVm();
  json r = Call("attach_disk", {second, cid});
  ExpectOk(r);
  EXPECT_EQ(r["result"], json({{"path", "/dev/disk/by-id/virtio-" + cid}}));
  EXPECT_EQ(DiskElements(second, cid, false).size(), 1u);
  EXPECT_EQ(Download(cid), pattern);
  ExpectOk(Call("delete_vm", {second}));
  ExpectOk(Call("delete_disk", {cid}));
}

// API v1 stemcells read persistent disks from their settings: attach and detach rebuild the
// config drive (read back from the drive itself) and swap the CD-ROM media.
TEST_F(LibvirtDiskTest, StemcellApiV1AttachAndDetachRebuildTheConfigDrive) {
  std::string vm = CreateVm();
  std::string cid = CreateDisk(8);
  auto cdrom_path = [&](bool inactive) {
    return xml::Document::Parse(DomainXml(vm, inactive), "domain")
        .String("/domain/devices/disk[@device='cdrom']/source/@file");
  };
  auto settings_on_drive = [&]() {
    std::string path = cdrom_path(true);
    std::string name = path.substr(path.rfind('/') + 1);
    return json::parse(agent::ReadConfigDriveIso(Download(name)).user_data);
  };
  json before = settings_on_drive();
  EXPECT_TRUE(before["disks"]["persistent"].empty());
  std::string old_path = cdrom_path(true);

  ExpectOk(CallWithStemcellApi("attach_disk", {vm, cid}, 1));
  json after = settings_on_drive();
  EXPECT_EQ(after["disks"]["persistent"][cid], json({{"path", "/dev/disk/by-id/virtio-" + cid}}));
  // Everything else is as create_vm wrote it.
  after["disks"]["persistent"] = json::object();
  EXPECT_EQ(after, before);
  // The media changed in both definitions, to the other volume; the old one is gone.
  EXPECT_NE(cdrom_path(true), old_path);
  EXPECT_EQ(cdrom_path(false), cdrom_path(true));
  EXPECT_EQ(cdrom_path(true), old_path + "-alt");
  EXPECT_FALSE(Volume(vm + "-config"));
  // The domain's own volume record follows.
  auto dom = world_->conn().FindDomain(vm);
  std::optional<std::string> record = virt::GetDomainMetadata(dom->get(), vm::kVmNamespace, vm);
  ASSERT_TRUE(record);
  EXPECT_NE(record->find(vm + "-config-alt"), std::string::npos) << *record;

  // A repeated attach changes nothing.
  ExpectOk(CallWithStemcellApi("attach_disk", {vm, cid}, 1));
  EXPECT_EQ(cdrom_path(true), old_path + "-alt");

  // Detach (VM off: the fake stemcell never acknowledges a live unplug) swaps back.
  PowerOff(vm);
  ExpectOk(CallWithStemcellApi("detach_disk", {vm, cid}, 1));
  EXPECT_TRUE(settings_on_drive()["disks"]["persistent"].empty());
  EXPECT_EQ(cdrom_path(true), old_path);
  EXPECT_FALSE(Volume(vm + "-config-alt"));

  // delete_vm removes whichever config volume is current.
  ExpectOk(CallWithStemcellApi("attach_disk", {vm, cid}, 1));
  ExpectOk(Call("delete_vm", {vm}));
  for (const std::string& v : world_->Volumes()) EXPECT_EQ(v.find(vm), std::string::npos) << v;
  ExpectOk(Call("delete_disk", {cid}));
}

// Issue 17: a Director speaking API v1 gets `null` from attach_disk and so hands the agent no
// hint; with a stemcell of API 3 the config drive was left alone and the agent never learnt of
// the disk. Whenever no hint reaches the agent, the settings on the config drive carry it.
TEST_F(LibvirtDiskTest, ApiV1CallWithV2StemcellRebuildsTheConfigDrive) {
  std::string vm = CreateVm();
  std::string cid = CreateDisk(8);
  auto settings_on_drive = [&]() {
    std::string path = xml::Document::Parse(DomainXml(vm, true), "domain")
                           .String("/domain/devices/disk[@device='cdrom']/source/@file");
    return json::parse(
        agent::ReadConfigDriveIso(Download(path.substr(path.rfind('/') + 1))).user_data);
  };
  EXPECT_TRUE(settings_on_drive()["disks"]["persistent"].empty());

  json r = Call("attach_disk", {vm, cid}, /*api_version=*/1);  // stemcell API 3 in the context
  ExpectOk(r);
  EXPECT_TRUE(r["result"].is_null());
  EXPECT_EQ(settings_on_drive()["disks"]["persistent"][cid],
            json({{"path", "/dev/disk/by-id/virtio-" + cid}}));

  PowerOff(vm);
  ExpectOk(Call("detach_disk", {vm, cid}, /*api_version=*/1));
  EXPECT_TRUE(settings_on_drive()["disks"]["persistent"].empty());

  // A v2 call with a v2+ stemcell leaves the drive alone: the Director passes the hint.
  ExpectOk(Call("attach_disk", {vm, cid}));
  EXPECT_TRUE(settings_on_drive()["disks"]["persistent"].empty());
  ExpectOk(Call("delete_vm", {vm}));
  ExpectOk(Call("delete_disk", {cid}));
}

}  // namespace
}  // namespace cpi::testing
