// Issue 18: the Director's lifecycle over two hosts (kvm-a: the system libvirtd over qemu+ssh://,
// az z1; kvm-b: a private libvirtd over qemu+tcp://, az z2), a new CPI process per call. Every
// object is checked on the daemon itself: the stemcell in both pools, each VM and disk on the
// host its placement named and its CID carries (spec: CIDs name their host), the cross-host
// attach refused, everything gone from both afterwards.
#include <gtest/gtest.h>

#include <string>

#include "bosh_libvirt_cpi/util/ids.h"
#include "multihost/multihost_support.h"

namespace cpi::testing::multihost {
namespace {

using reliability::ErrorType;
using reliability::OkToRetry;

constexpr char kCloudError[] = "Bosh::Clouds::CloudError";

std::string VmCid(const json& result) {
  if (result.is_array() && !result.empty() && result[0].is_string()) return result[0];
  if (result.is_string()) return result;
  return "";
}

bool Contains(const std::vector<std::string>& list, const std::string& item) {
  return std::find(list.begin(), list.end(), item) != list.end();
}

class MultihostLifecycleTest : public MultihostTest {};

TEST_F(MultihostLifecycleTest, EveryObjectLivesOnTheHostItsPlacementAndCidName) {
  TwoHosts& h = hosts();
  const std::string cfg = h.config();
  const std::vector<std::string> a_before = h.a().Volumes(), b_before = h.b().Volumes();

  // create_stemcell: one host-less CID, a copy in each host's pool.
  std::string sc =
      Str(Ok(Call(cfg, "create_stemcell", {h.StemcellImage(), TwoHosts::StemcellProperties()})));
  ASSERT_EQ(sc.rfind("sc-", 0), 0u) << sc;
  EXPECT_TRUE(HasVolumesOf(h.a(), sc)) << "stemcell not in kvm-a's pool";
  EXPECT_TRUE(HasVolumesOf(h.b(), sc)) << "stemcell not in kvm-b's pool";

  // create_vm by az (z1 is kvm-a's) and by host name.
  std::string vm_a =
      VmCid(Ok(Call(cfg, "create_vm", VmArguments(sc, {{"az", "z1"}}, "10.9.0.10"))));
  std::string vm_b =
      VmCid(Ok(Call(cfg, "create_vm", VmArguments(sc, {{"host", "kvm-b"}}, "10.9.0.11"))));
  ASSERT_FALSE(vm_a.empty());
  ASSERT_FALSE(vm_b.empty());
  const std::string key_b = CidKey(vm_b);
  EXPECT_EQ(CidKey(vm_a), kKeyA) << vm_a;
  EXPECT_TRUE(IsHostKey(key_b)) << vm_b;
  EXPECT_NE(key_b, kKeyA) << vm_b;
  EXPECT_TRUE(HasDomain(h.a(), vm_a));
  EXPECT_FALSE(HasDomain(h.b(), vm_a));
  EXPECT_TRUE(HasDomain(h.b(), vm_b));
  EXPECT_FALSE(HasDomain(h.a(), vm_b));
  EXPECT_TRUE(HasVolumesOf(h.a(), vm_a));
  EXPECT_FALSE(HasVolumesOf(h.b(), vm_a));
  EXPECT_TRUE(HasVolumesOf(h.b(), vm_b));
  EXPECT_EQ(Call(cfg, "has_vm", {vm_a})["result"], true);
  EXPECT_EQ(Call(cfg, "has_vm", {vm_b})["result"], true);

  // create_disk with vm_locality: on the VM's host, still 20 characters (the virtio serial).
  std::string disk_a = Str(Ok(Call(cfg, "create_disk", {16, json::object(), vm_a})));
  std::string disk_b = Str(Ok(Call(cfg, "create_disk", {16, json::object(), vm_b})));
  EXPECT_EQ(disk_a.size(), 20u) << disk_a;
  EXPECT_EQ(disk_b.size(), 20u) << disk_b;
  EXPECT_EQ(CidKey(disk_a), kKeyA) << disk_a;
  EXPECT_EQ(CidKey(disk_b), key_b) << disk_b;
  EXPECT_TRUE(HasVolumesOf(h.a(), disk_a));
  EXPECT_FALSE(HasVolumesOf(h.b(), disk_a));
  EXPECT_TRUE(HasVolumesOf(h.b(), disk_b));
  EXPECT_FALSE(HasVolumesOf(h.a(), disk_b));
  EXPECT_EQ(Call(cfg, "has_disk", {disk_a})["result"], true);
  EXPECT_EQ(Call(cfg, "has_disk", {disk_b})["result"], true);

  // attach on each disk's own host.
  Ok(Call(cfg, "attach_disk", {vm_a, disk_a}));
  Ok(Call(cfg, "attach_disk", {vm_b, disk_b}));
  EXPECT_TRUE(Contains(DiskSerials(h.a(), vm_a), disk_a));
  EXPECT_TRUE(Contains(DiskSerials(h.b(), vm_b), disk_b));

  // A disk of kvm-a for the VM on kvm-b: refused, naming the disk, the VM and both hosts.
  json cross = Call(cfg, "attach_disk", {vm_b, disk_a});
  EXPECT_EQ(ErrorType(cross), kCloudError) << cross.dump();
  EXPECT_FALSE(OkToRetry(cross)) << cross.dump();
  for (const std::string& word : {disk_a, vm_b, std::string("'kvm-a'"), std::string("'kvm-b'")}) {
    EXPECT_NE(Message(cross).find(word), std::string::npos) << word << " not in " << cross.dump();
  }
  EXPECT_FALSE(Contains(DiskSerials(h.b(), vm_b), disk_a));
  EXPECT_EQ(Call(cfg, "has_disk", {disk_a})["result"], true);

  // disk_cids pin a new VM to the disks' host; a placement against them is refused.
  json conflict =
      Call(cfg, "create_vm", VmArguments(sc, {{"host", "kvm-b"}}, "10.9.0.12", {disk_a}));
  EXPECT_FALSE(conflict.contains("error") && conflict["error"].is_null()) << conflict.dump();
  EXPECT_NE(Message(conflict).find("kvm-a"), std::string::npos) << conflict.dump();
  EXPECT_NE(Message(conflict).find("kvm-b"), std::string::npos) << conflict.dump();
  std::string pinned =
      VmCid(Ok(Call(cfg, "create_vm", VmArguments(sc, json::object(), "10.9.0.13", {disk_b}))));
  EXPECT_EQ(CidKey(pinned), key_b) << pinned;
  EXPECT_TRUE(HasDomain(h.b(), pinned));
  if (!pinned.empty()) Ok(Call(cfg, "delete_vm", {pinned}));

  // detach (the guests run no OS: powered off, the definition alone changes).
  PowerOff(h.a(), vm_a);
  PowerOff(h.b(), vm_b);
  Ok(Call(cfg, "detach_disk", {vm_a, disk_a}));
  Ok(Call(cfg, "detach_disk", {vm_b, disk_b}));
  EXPECT_FALSE(Contains(DiskSerials(h.a(), vm_a), disk_a));
  EXPECT_FALSE(Contains(DiskSerials(h.b(), vm_b), disk_b));

  // delete everything; has_* says false, each daemon holds nothing of it.
  for (const std::string& vm : {vm_a, vm_b}) {
    Ok(Call(cfg, "delete_vm", {vm}));
    EXPECT_EQ(Call(cfg, "has_vm", {vm})["result"], false) << vm;
  }
  for (const std::string& disk : {disk_a, disk_b}) {
    Ok(Call(cfg, "delete_disk", {disk}));
    EXPECT_EQ(Call(cfg, "has_disk", {disk})["result"], false) << disk;
  }
  EXPECT_FALSE(HasDomain(h.a(), vm_a));
  EXPECT_FALSE(HasDomain(h.b(), vm_b));
  Ok(Call(cfg, "delete_stemcell", {sc}));
  EXPECT_FALSE(HasVolumesOf(h.a(), sc)) << "stemcell left on kvm-a";
  EXPECT_FALSE(HasVolumesOf(h.b(), sc)) << "stemcell left on kvm-b";
  EXPECT_EQ(h.a().Volumes(), a_before);
  EXPECT_EQ(h.b().Volumes(), b_before);
}

// A host that lacks the stemcell (added later, or down during create_stemcell) gets a copy,
// with its cloud_properties sidecar, from a host that has it on its first create_vm.
TEST_F(MultihostLifecycleTest, AStemcellMissingOnAHostIsCopiedThereByItsFirstCreateVm) {
  TwoHosts& h = hosts();
  virt::RawConnection conn_a = h.a().Connect();
  std::string sc = reliability::AddStemcellWithSidecar(conn_a, h.a().pool());
  ASSERT_FALSE(HasVolumesOf(h.b(), sc));

  std::string vm =
      VmCid(Ok(Call(h.config(), "create_vm", VmArguments(sc, {{"host", "kvm-b"}}, "10.9.0.14"))));
  ASSERT_FALSE(vm.empty());
  EXPECT_TRUE(HasDomain(h.b(), vm));
  std::vector<std::string> b_volumes = h.b().Volumes();
  EXPECT_TRUE(Contains(b_volumes, sc)) << "no copy of the stemcell on kvm-b";
  EXPECT_TRUE(Contains(b_volumes, sc + "-props")) << "no copy of the stemcell's sidecar";

  Ok(Call(h.config(), "delete_vm", {vm}));
  Ok(Call(h.config(), "delete_stemcell", {sc}));
  EXPECT_FALSE(HasVolumesOf(h.a(), sc));
  EXPECT_FALSE(HasVolumesOf(h.b(), sc));
}

// CIDs of a key no configured host has are refused (never guessed); a host-less CID means the
// first host; a keyed CID of an object that does not exist is a plain `false`.
TEST_F(MultihostLifecycleTest, CidKeysRouteToTheirHostAndAnUnknownKeyIsRefused) {
  TwoHosts& h = hosts();
  std::string cfg =
      h.WriteConfig("explicit-keys", {h.Host("kvm-a", h.sshd().Uri(), h.a(), "z1", kKeyA),
                                      h.Host("kvm-b", h.daemon_b().tcp_uri(), h.b(), "z2", "kr")});
  const std::string uuid = "0b6f1c2e-8a4d-8e21-9c3b-5d7e9f0a1b2c";
  for (const std::string& cid : {"vm-zz-" + uuid, std::string("disk-zz0123456789abc")}) {
    json r = Call(cfg, cid[0] == 'v' ? "has_vm" : "has_disk", {cid});
    EXPECT_EQ(ErrorType(r), kCloudError) << r.dump();
    EXPECT_FALSE(OkToRetry(r)) << r.dump();
    for (const char* word : {"zz", "kq", "kr"}) {
      EXPECT_NE(Message(r).find(word), std::string::npos) << word << " not in " << r.dump();
    }
  }
  EXPECT_EQ(Call(cfg, "has_vm", {"vm-kr-" + uuid})["result"], false);
  EXPECT_EQ(Call(cfg, "has_disk", {"disk-kr0123456789abc"})["result"], false);
  EXPECT_EQ(Call(cfg, "has_vm", {"vm-0b6f1c2e-8a4d-4e21-9c3b-5d7e9f0a1b2c"})["result"], false);
  EXPECT_EQ(Call(cfg, "has_disk", {"disk-0123456789abcde"})["result"], false);
}

// A config with the single `libvirt` block of before issue 18 means one host and keeps issuing
// host-less CIDs (every CID the Director stores today stays valid).
TEST_F(MultihostLifecycleTest, ASingleLibvirtBlockConfigIssuesHostlessCids) {
  TwoHosts& h = hosts();
  std::string cfg = h.scratch() + "/single-host.json";
  reliability::WriteConfig(cfg, h.daemon_b().tcp_uri(), h.b().pool(), h.b().network(),
                           h.scratch() + "/locks", h.scratch() + "/console");
  std::string disk = Str(Ok(Call(cfg, "create_disk", {16, json::object(), nullptr})));
  EXPECT_EQ(disk.size(), 20u) << disk;
  EXPECT_EQ(disk.find_first_not_of("0123456789abcdef", 5), std::string::npos) << disk;
  EXPECT_TRUE(HasVolumesOf(h.b(), disk));
  EXPECT_EQ(Call(cfg, "has_disk", {disk})["result"], true);

  std::string sc =
      Str(Ok(Call(cfg, "create_stemcell", {h.StemcellImage(), TwoHosts::StemcellProperties()})));
  EXPECT_TRUE(HasVolumesOf(h.b(), sc));
  std::string vm = VmCid(Ok(Call(cfg, "create_vm", VmArguments(sc, json::object(), "10.9.0.15"))));
  EXPECT_EQ(vm.size(), 39u) << vm;  // vm-<uuid>
  EXPECT_EQ(CidKey(vm), "") << vm;
  EXPECT_TRUE(HasDomain(h.b(), vm));
  EXPECT_EQ(Call(cfg, "has_vm", {vm})["result"], true);

  Ok(Call(cfg, "delete_vm", {vm}));
  Ok(Call(cfg, "delete_disk", {disk}));
  Ok(Call(cfg, "delete_stemcell", {sc}));
  EXPECT_EQ(Call(cfg, "has_disk", {disk})["result"], false);
  EXPECT_EQ(Call(cfg, "has_vm", {vm})["result"], false);

  // The same over qemu+ssh:// (kvm-a's URI as a single host).
  std::string ssh_cfg = h.scratch() + "/single-host-ssh.json";
  reliability::WriteConfig(ssh_cfg, h.sshd().Uri(), h.a().pool(), h.a().network(),
                           h.scratch() + "/locks", h.scratch() + "/console");
  EXPECT_EQ(Call(ssh_cfg, "has_disk", {"disk-0123456789abcde"})["result"], false);
}

}  // namespace
}  // namespace cpi::testing::multihost
