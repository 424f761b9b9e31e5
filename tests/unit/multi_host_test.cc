// Several hosts as one cloud (docs/MULTIHOST.md): the hosts config, CIDs carrying a host key,
// routing a CID to its host and the pure half of placement.
#include <gtest/gtest.h>

#include "bosh_libvirt_cpi/config/config.h"
#include "bosh_libvirt_cpi/errors.h"
#include "bosh_libvirt_cpi/host/host.h"
#include "bosh_libvirt_cpi/host/placement.h"
#include "bosh_libvirt_cpi/names/names.h"
#include "bosh_libvirt_cpi/util/ids.h"
#include "support/loopback.h"

namespace cpi {
namespace {

constexpr char kTwoHosts[] = R"({
  "libvirt": {"domain_type": "qemu", "storage_pool": "bosh"},
  "hosts": [
    {"name": "kvm-a", "uri": "qemu+ssh://bosh@10.0.0.11/system", "az": "z1", "network": "net-a"},
    {"name": "kvm-b", "uri": "qemu+tcp://10.0.0.12/system", "az": "z2", "key": "km",
     "storage_pool": "other"},
    {"name": "kvm-c", "uri": "qemu+tcp://10.0.0.13/system", "az": "z2", "shared": true}
  ],
  "agent": {"mbus": "nats://x"}})";

config::Config TwoHosts() { return config::Load(kTwoHosts, "'cpi.json'", std::nullopt); }

std::string LoadError(std::string_view text) {
  try {
    config::Load(text, "'cpi.json'", std::nullopt);
  } catch (const Error& e) {
    EXPECT_EQ(e.type(), ErrorType::kCpiError);
    return e.what();
  }
  return "";
}

TEST(HostsConfigTest, EntriesStartFromTheLibvirtBlockAndOverrideIt) {
  config::Config c = TwoHosts();
  ASSERT_TRUE(c.multi_host);
  ASSERT_EQ(c.hosts.size(), 3u);
  EXPECT_EQ(c.hosts[0].name, "kvm-a");
  EXPECT_EQ(c.hosts[0].az, "z1");
  EXPECT_EQ(c.hosts[0].libvirt.storage_pool, "bosh");
  EXPECT_EQ(c.hosts[0].libvirt.network, "net-a");
  EXPECT_EQ(c.hosts[0].libvirt.domain_type, config::DomainType::kQemu);
  EXPECT_EQ(c.hosts[0].key, config::DeriveHostKey("kvm-a"));
  EXPECT_EQ(c.hosts[1].key, "km");
  EXPECT_EQ(c.hosts[1].libvirt.storage_pool, "other");
  EXPECT_TRUE(c.hosts[2].shared);
  EXPECT_FALSE(c.hosts[0].shared);
  for (const auto& h : c.hosts) EXPECT_TRUE(util::IsHostKey(h.key)) << h.key;
}

TEST(HostsConfigTest, SingleLibvirtBlockIsOneHostWithoutKey) {
  config::Config c = config::Load(R"({"libvirt": {"uri": "qemu:///x"}})", "f", std::nullopt);
  EXPECT_FALSE(c.multi_host);
  ASSERT_EQ(c.hosts.size(), 1u);
  EXPECT_EQ(c.hosts[0].name, "default");
  EXPECT_EQ(c.hosts[0].key, "");
  EXPECT_EQ(c.hosts[0].libvirt.uri, "qemu:///x");
}

TEST(HostsConfigTest, BadEntriesAreNamed) {
  EXPECT_NE(LoadError(R"({"hosts": []})").find("'hosts' must name at least one host"),
            std::string::npos);
  EXPECT_NE(LoadError(R"({"hosts": [{"uri": "qemu:///system"}]})").find("'hosts[0]' has no 'name'"),
            std::string::npos);
  EXPECT_NE(LoadError(R"({"hosts": [{"name": "A"}]})").find("hosts[0].name"), std::string::npos);
  EXPECT_NE(LoadError(R"({"hosts": [{"name": "a", "key": "ab"}]})").find("two letters from g to z"),
            std::string::npos);
  EXPECT_NE(LoadError(R"({"hosts": [{"name": "a"}, {"name": "a"}]})").find("repeats host 'a'"),
            std::string::npos);
  EXPECT_NE(LoadError(R"({"hosts": [{"name": "a", "key": "gg"}, {"name": "b", "key": "gg"}]})")
                .find("like host 'a'"),
            std::string::npos);
  EXPECT_NE(LoadError(R"({"hosts": [{"name": "a", "zone": "z1"}]})").find("hosts[0].zone"),
            std::string::npos);
  EXPECT_NE(LoadError(R"({"hosts": [{"name": "a", "timeout_seconds": 0}]})")
                .find("hosts[0].timeout_seconds"),
            std::string::npos);
}

TEST(HostKeyTest, KeyedCidsKeepTheirShapeAndNameTheirHost) {
  std::string vm = util::NewVmCid("km"), disk = util::NewDiskCid("km"),
              snap = util::NewSnapshotCid("km");
  EXPECT_EQ(vm.substr(0, 6), "vm-km-");
  EXPECT_EQ(disk.size(), 20u);  // the virtio serial
  EXPECT_EQ(disk.substr(0, 7), "disk-km");
  EXPECT_TRUE(util::IsVmCid(vm));
  EXPECT_TRUE(util::IsDiskCid(disk));
  EXPECT_TRUE(util::IsSnapshotCid(snap));
  EXPECT_EQ(util::CidHostKey(vm), "km");
  EXPECT_EQ(util::CidHostKey(disk), "km");
  EXPECT_EQ(util::CidHostKey(snap), "km");
  EXPECT_EQ(util::CidUuid(vm)[14], '8');
}

TEST(HostKeyTest, HostlessCidsHaveNoKeyAndHexNeverLooksLikeOne) {
  for (int i = 0; i < 200; ++i) {
    EXPECT_EQ(util::CidHostKey(util::NewVmCid()), "");
    EXPECT_EQ(util::CidHostKey(util::NewDiskCid()), "");
    EXPECT_EQ(util::CidHostKey(util::NewSnapshotCid()), "");
  }
  EXPECT_EQ(util::CidHostKey("sc-" + util::NewUuid()), "");
  EXPECT_FALSE(util::IsVmCid("vm-ab-" + util::NewUuid()));  // hex letters are not a key
  EXPECT_FALSE(util::IsDiskCid("disk-km0123456789abcd"));   // 21 characters
  EXPECT_FALSE(util::IsStemcellCid("sc-kb-" + util::NewUuid()));
}

TEST(HostKeyTest, KeyedVolumeNamesParseBackToTheirCid) {
  std::string vm = util::NewVmCid("gk"), disk = util::NewDiskCid("gk"),
              snap = util::NewSnapshotCid("gk");
  for (auto [name, cid] :
       {std::pair{names::RootVolume(vm), vm}, std::pair{names::AlternateConfigVolume(vm), vm},
        std::pair{names::AlternateMetadataVolume(disk), disk},
        std::pair{names::CreatingMarkVolume(disk), disk},
        std::pair{names::MetadataVolume(snap), snap}, std::pair{snap, snap}}) {
    std::optional<names::VolumeName> n = names::ParseVolumeName(name);
    ASSERT_TRUE(n) << name;
    EXPECT_EQ(n->cid, cid) << name;
  }
}

TEST(HostOfTest, ACidGoesToTheHostOfItsKeyAndAHostlessOneToTheFirst) {
  config::Config c = TwoHosts();
  EXPECT_EQ(host::HostOf(c, util::NewVmCid("km")).name, "kvm-b");
  EXPECT_EQ(host::HostOf(c, util::NewDiskCid(c.hosts[2].key)).name, "kvm-c");
  EXPECT_EQ(host::HostOf(c, util::NewVmCid()).name, "kvm-a");
  EXPECT_EQ(host::HostOf(c, util::NewDiskCid()).name, "kvm-a");
  EXPECT_EQ(host::HostOf(c, "").name, "kvm-a");
}

TEST(HostOfTest, AKeyNoHostHasIsANonRetryableCloudError) {
  config::Config c = TwoHosts();
  std::string unknown = c.hosts[0].key == "zz" || c.hosts[2].key == "zz" ? "zy" : "zz";
  try {
    host::HostOf(c, util::NewVmCid(unknown));
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.type(), ErrorType::kCloudError);
    EXPECT_FALSE(e.ok_to_retry());
    EXPECT_NE(std::string(e.what()).find("host key '" + unknown + "'"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("kvm-b=km"), std::string::npos);
  }
}

std::vector<std::string> Names(const std::vector<const config::HostConfig*>& hosts) {
  std::vector<std::string> out;
  for (const auto* h : hosts) out.push_back(h->name);
  return out;
}

std::string CandidatesError(const config::Config& c, const host::PlacementRequest& r) {
  try {
    host::Candidates(c, r);
  } catch (const Error& e) {
    EXPECT_EQ(e.type(), ErrorType::kCloudError);
    EXPECT_FALSE(e.ok_to_retry());
    return e.what();
  }
  return "";
}

TEST(PlacementTest, CandidatesFollowHostAzAndDisks) {
  config::Config c = TwoHosts();
  using V = std::vector<std::string>;
  EXPECT_EQ(Names(host::Candidates(c, {})), (V{"kvm-a", "kvm-b", "kvm-c"}));
  EXPECT_EQ(Names(host::Candidates(c, {"kvm-b", "", {}, 512})), V{"kvm-b"});
  EXPECT_EQ(Names(host::Candidates(c, {"", "z2", {}, 512})), (V{"kvm-b", "kvm-c"}));
  EXPECT_EQ(Names(host::Candidates(c, {"", "z2", {util::NewDiskCid("km")}, 512})), V{"kvm-b"});
  EXPECT_EQ(Names(host::Candidates(c, {"", "", {util::NewDiskCid()}, 512})), V{"kvm-a"});
}

TEST(PlacementTest, ConflictsAreCloudErrorsNamingBothSides) {
  config::Config c = TwoHosts();
  EXPECT_NE(CandidatesError(c, {"kvm-x", "", {}, 1}).find("host 'kvm-x'"), std::string::npos);
  EXPECT_NE(CandidatesError(c, {"", "z9", {}, 1}).find("AZ 'z9'"), std::string::npos);
  EXPECT_NE(CandidatesError(c, {"kvm-a", "z2", {}, 1}).find("AZ 'z2'"), std::string::npos);
  std::string disks = CandidatesError(c, {"", "z1", {util::NewDiskCid("km")}, 1});
  EXPECT_NE(disks.find("disks are on host kvm-b"), std::string::npos) << disks;
  EXPECT_NE(disks.find("kvm-a"), std::string::npos) << disks;
  std::string split = CandidatesError(c, {"", "", {util::NewDiskCid("km"), util::NewDiskCid()}, 1});
  EXPECT_NE(split.find("different hosts"), std::string::npos) << split;
}

TEST(PlacementTest, MostFreeNetOfReservationsWinsAndTiesGoToTheFirst) {
  EXPECT_EQ(host::MostFree({{1000, 0}, {1000, 0}}), 0u);
  EXPECT_EQ(host::MostFree({{1000, 512}, {1000, 0}}), 1u);
  EXPECT_EQ(host::MostFree({{4000, 0}, {1000, 0}, {5000, 2000}}), 0u);
}

TEST(PlacementTest, ASingleHostConfigIgnoresHostAndAzItCannotServe) {
  config::Config c =
      config::Load(R"({"libvirt": {"uri": "test:///default", "storage_pool": "default-pool"}})",
                   "f", std::nullopt);
  host::Placement p = host::Place(c, {"kvm-x", "z9", {util::NewDiskCid()}, 512});
  ASSERT_TRUE(p.host);
  EXPECT_EQ(p.host->spec().name, "default");
  EXPECT_FALSE(p.reservation);
}

// Placement opens its candidates at once: a host that never answers costs its own timeout, and
// the others are still opened (the libvirt test driver stands in for a host that answers).
TEST(PlacementTest, OpenAllOpensTheHostsThatAnswerAndNamesTheOneThatDoesNot) {
  testing::LoopbackListener silent = testing::ListenOnLoopback();
  std::string text = R"({"hosts": [
      {"name": "up", "uri": "test:///default", "storage_pool": "default-pool"},
      {"name": "silent", "timeout_seconds": 1,
       "uri": "qemu+tcp://127.0.0.1:)" +
                     std::to_string(silent.port) + R"(/system"}]})";
  config::Config c = config::Load(text, "f", std::nullopt);
  host::OpenedHosts opened = host::OpenAll(c, config::AllHosts(c));
  ASSERT_EQ(opened.hosts.size(), 2u);
  ASSERT_TRUE(opened.hosts[0]);
  EXPECT_EQ(opened.hosts[0]->spec().name, "up");
  EXPECT_FALSE(opened.hosts[1]);
  ASSERT_EQ(opened.errors.size(), 1u);
  EXPECT_NE(opened.errors[0].find("'silent'"), std::string::npos) << opened.errors[0];
  EXPECT_NE(opened.errors[0].find("no answer in 1 s"), std::string::npos) << opened.errors[0];
}

}  // namespace
}  // namespace cpi
