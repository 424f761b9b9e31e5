// The `cleanup` command removes only what no CID reaches, and only when old enough: its rules on
// their own (cleanup::Classify), then against a real pool holding every kind of live object next
// to every kind of leftover.
#include <gtest/gtest.h>
#include <sys/time.h>
#include <utime.h>

#include <ctime>
#include <filesystem>

#include "bosh_libvirt_cpi/cleanup/cleanup.h"
#include "bosh_libvirt_cpi/util/ids.h"
#include "bosh_libvirt_cpi/virt/domain.h"
#include "bosh_libvirt_cpi/virt/storage.h"
#include "bosh_libvirt_cpi/vm/domain_spec.h"
#include "reliability/reliability_support.h"
#include "support/cpi_request.h"
#include "support/libvirt_world.h"

namespace cpi::testing::reliability {
namespace {

using cleanup::DomainFacts;
using cleanup::Finding;
using cleanup::Verdict;
using cleanup::VolumeFacts;

constexpr int64_t kNow = 1'800'000'000;
constexpr int64_t kOld = kNow - 7200;

VolumeFacts Vol(const std::string& name, const std::string& backing = "",
                std::optional<int64_t> modified = kOld) {
  return {name, "/p/" + name, backing.empty() ? "" : "/p/" + backing, modified};
}

std::map<std::string, Finding> ByVolume(const std::vector<Finding>& findings) {
  std::map<std::string, Finding> out;
  for (const Finding& f : findings) out[f.volume] = f;
  return out;
}

const std::string kVm = "vm-11111111-1111-4111-8111-111111111111";
const std::string kGoneVm = "vm-22222222-2222-4222-8222-222222222222";
const std::string kSc = "sc-33333333-3333-4333-8333-333333333333";
const std::string kHalfSc = "sc-44444444-4444-4444-8444-444444444444";
const std::string kGoneSc = "sc-55555555-5555-4555-8555-555555555555";
const std::string kSnap = "snap-66666666-6666-4666-8666-666666666666";
const std::string kHalfSnap = "snap-77777777-7777-4777-8777-777777777777";

TEST(ReliabilityCleanupRulesTest, FindsExactlyTheUnreachableVolumes) {
  std::vector<VolumeFacts> volumes = {Vol(kSc),
                                      Vol(kSc + "-props"),  // a stemcell
                                      Vol(kVm + "-root", kSc),
                                      Vol(kVm + "-config"),      // a VM
                                      Vol(kVm + "-config-alt"),  // its interrupted swap
                                      Vol(kGoneVm + "-root", kSc),
                                      Vol(kGoneVm + "-ephemeral"),  // a VM without domain
                                      Vol(kHalfSc),                 // a half upload
                                      Vol(kGoneSc + "-props"),      // a deleted stemcell's
                                      Vol("disk-0123456789abcde"),
                                      Vol("disk-0123456789abcde-meta"),      // a disk
                                      Vol("disk-0123456789abcde-meta-alt"),  // both slots
                                      Vol("disk-fffffffffffffff"),       // a disk without metadata
                                      Vol("disk-eeeeeeeeeeeeeee-meta"),  // a deleted disk's
                                      Vol("disk-ddddddddddddddd-meta-alt"),  // its other slot
                                      Vol(kSnap),
                                      Vol(kSnap + "-meta"),
                                      Vol(kHalfSnap),
                                      Vol("snap-88888888-8888-4888-8888-888888888888-meta"),
                                      Vol("someone-elses.img"),
                                      Vol("vm-not-a-uuid-root"),
                                      Vol(kVm + "-unknown")};
  std::vector<DomainFacts> domains = {
      {kVm,
       {"/p/" + kVm + "-root", "/p/" + kVm + "-config", "/p/" + kSc},
       {},
       false,
       true,
       std::nullopt}};
  auto found = ByVolume(cleanup::Classify("p", volumes, domains, {}, kNow));

  std::map<std::string, std::string> expected = {
      {kVm + "-config-alt", "its domain does not use it"},
      {kGoneVm + "-root", "no domain '" + kGoneVm + "' exists"},
      {kGoneVm + "-ephemeral", "no domain '" + kGoneVm + "' exists"},
      {kHalfSc, "no sidecar '" + kHalfSc + "-props'"},
      {kGoneSc + "-props", "the stemcell is gone"},
      {"disk-eeeeeeeeeeeeeee-meta", "the disk is gone"},
      {"disk-ddddddddddddddd-meta-alt", "the disk is gone"},
      {kHalfSnap, "no sidecar '" + kHalfSnap + "-meta'"},
      {"snap-88888888-8888-4888-8888-888888888888-meta", "the snapshot is gone"}};
  EXPECT_EQ(found.size(), expected.size());
  for (const auto& [volume, why] : expected) {
    ASSERT_EQ(found.count(volume), 1u) << volume;
    EXPECT_EQ(found[volume].verdict, Verdict::kRemove) << volume;
    EXPECT_TRUE(Contains(found[volume].why, why)) << found[volume].why;
    EXPECT_EQ(found[volume].age_seconds, 7200);
  }
}

// Issue 17, defect 6: a disk beside create_disk's mark is a leftover (removed before its mark,
// and kept with it while young or in use); a mark alone is one too; a disk without a mark never.
TEST(ReliabilityCleanupRulesTest, AnUnfinishedCreateDiskGoesWithItsMarkAfterIt) {
  const std::string left = "disk-aaaaaaaaaaaaaaa", lone = "disk-bbbbbbbbbbbbbbb",
                    used = "disk-ccccccccccccccc", young = "disk-999999999999999";
  std::vector<VolumeFacts> volumes = {Vol(left + "-creating"),  // listed before its disk
                                      Vol(left),
                                      Vol(lone + "-creating"),
                                      Vol(used),
                                      Vol(used + "-creating"),
                                      Vol(young, "", kNow - 10),
                                      Vol(young + "-creating", "", kNow - 10),
                                      Vol("disk-0123456789abcde")};
  std::vector<DomainFacts> domains = {{kVm, {"/p/" + used}, {}, true, true, std::nullopt}};
  std::vector<Finding> ordered = cleanup::Classify("p", volumes, domains, {}, kNow);
  auto found = ByVolume(ordered);
  EXPECT_EQ(found.size(), 7u);
  EXPECT_EQ(found.count("disk-0123456789abcde"), 0u);
  EXPECT_EQ(found[left].verdict, Verdict::kRemove);
  EXPECT_EQ(found[left].what, "disk of an unfinished create_disk");
  EXPECT_EQ(found[left + "-creating"].verdict, Verdict::kRemove);
  EXPECT_EQ(found[lone + "-creating"].verdict, Verdict::kRemove);
  EXPECT_TRUE(Contains(found[lone + "-creating"].why, "never made"));
  EXPECT_EQ(found[used].verdict, Verdict::kInUse);
  EXPECT_EQ(found[used + "-creating"].verdict, Verdict::kInUse);
  EXPECT_EQ(found[young].verdict, Verdict::kTooYoung);
  EXPECT_EQ(found[young + "-creating"].verdict, Verdict::kTooYoung);
  auto at = [&](const std::string& name) {
    for (size_t i = 0; i < ordered.size(); ++i) {
      if (ordered[i].volume == name) return i;
    }
    return ordered.size();
  };
  EXPECT_LT(at(left), at(left + "-creating"));
}

TEST(ReliabilityCleanupRulesTest, KeepsYoungAndUnknownAgeUnlessMinAgeIsZero) {
  std::vector<VolumeFacts> volumes = {Vol(kGoneVm + "-root", "", kNow - 10),
                                      Vol(kGoneVm + "-config", "", std::nullopt)};
  auto kept = ByVolume(cleanup::Classify("p", volumes, {}, {}, kNow));
  EXPECT_EQ(kept[kGoneVm + "-root"].verdict, Verdict::kTooYoung);
  EXPECT_EQ(kept[kGoneVm + "-config"].verdict, Verdict::kTooYoung);
  cleanup::Options zero;
  zero.min_age_seconds = 0;
  auto removed = ByVolume(cleanup::Classify("p", volumes, {}, zero, kNow));
  EXPECT_EQ(removed[kGoneVm + "-root"].verdict, Verdict::kRemove);
  EXPECT_EQ(removed[kGoneVm + "-config"].verdict, Verdict::kRemove);
  EXPECT_TRUE(Contains(cleanup::Describe(kept[kGoneVm + "-root"], false), "younger"));
}

// A half upload under a live VM's overlay (or a volume any domain uses) is never removed; one
// under the overlay of a VM that is gone goes together with that overlay, after it.
TEST(ReliabilityCleanupRulesTest, NeverRemovesWhatADomainOrAKeptVolumeUses) {
  std::vector<VolumeFacts> volumes = {Vol(kHalfSc), Vol(kVm + "-root", kHalfSc),
                                      Vol(kGoneVm + "-config")};
  std::vector<DomainFacts> domains = {
      {kVm, {"/p/" + kVm + "-root"}, {}, false, true, std::nullopt},
      {"foreign-domain", {}, {"p/" + kGoneVm + "-config"}, false, true, std::nullopt}};
  auto found = ByVolume(cleanup::Classify("p", volumes, domains, {}, kNow));
  EXPECT_EQ(found[kHalfSc].verdict, Verdict::kInUse);
  EXPECT_TRUE(Contains(found[kHalfSc].why, "is backed by it")) << found[kHalfSc].why;
  EXPECT_EQ(found[kGoneVm + "-config"].verdict, Verdict::kInUse);
  EXPECT_TRUE(Contains(found[kGoneVm + "-config"].why, "'foreign-domain' uses it"));

  std::vector<VolumeFacts> orphans = {Vol(kHalfSc), Vol(kGoneVm + "-root", kHalfSc)};
  std::vector<Finding> ordered = cleanup::Classify("p", orphans, {}, {}, kNow);
  ASSERT_EQ(ordered.size(), 2u);
  EXPECT_EQ(ordered[0].volume, kGoneVm + "-root");  // the overlay first
  EXPECT_EQ(ordered[1].volume, kHalfSc);
  EXPECT_EQ(ordered[1].verdict, Verdict::kRemove);
}

// A stopped vm-<uuid> domain of this pool that never got BOSH metadata is reported for the
// operator, never removed; running ones, ones with metadata and other pools' are not mentioned.
TEST(ReliabilityCleanupRulesTest, ReportsStoppedVmDomainsWithoutBoshMetadata) {
  const std::string other = "vm-99999999-9999-4999-8999-999999999999";
  std::vector<VolumeFacts> volumes = {Vol(kVm + "-root"), Vol(kGoneVm + "-root"),
                                      Vol(kHalfSc + "-props")};
  DomainFacts suspect{kVm, {"/p/" + kVm + "-root"}, {}, false, false, std::nullopt};
  DomainFacts named{kGoneVm, {"/p/" + kGoneVm + "-root"}, {}, false, true, std::nullopt};
  DomainFacts elsewhere{other, {"/q/" + other + "-root"}, {}, false, false, std::nullopt};
  auto found = ByVolume(cleanup::Classify("p", volumes, {suspect, named, elsewhere}, {}, kNow));
  EXPECT_EQ(found.size(), 2u);  // the suspect and the stray sidecar
  ASSERT_EQ(found.count(kVm), 1u);
  EXPECT_EQ(found[kVm].verdict, Verdict::kSuspect);
  EXPECT_EQ(cleanup::Describe(found[kVm], false).rfind("check " + kVm + ": domain", 0), 0u);
  suspect.running = true;
  EXPECT_EQ(ByVolume(cleanup::Classify("p", volumes, {suspect}, {}, kNow)).count(kVm), 0u);
}

// A vm-<uuid> domain still carrying create_vm's marker never reached BOSH: once the marker is
// old enough the domain goes, running or not, and its volumes with it whatever their own age;
// younger, it and its volumes stay. Other pools' domains are not this run's business.
TEST(ReliabilityCleanupRulesTest, RemovesDomainsOfUnfinishedCreateVmsWithTheirVolumes) {
  const std::string other = "vm-99999999-9999-4999-8999-999999999999";
  std::vector<VolumeFacts> volumes = {Vol(kVm + "-root", kSc, kNow - 5),
                                      Vol(kVm + "-config", "", kNow - 5), Vol(kSc),
                                      Vol(kSc + "-props"), Vol(kGoneVm + "-root")};
  DomainFacts abandoned{kVm, {"/p/" + kVm + "-root", "/p/" + kVm + "-config"}, {}, true, false,
                        kOld};
  DomainFacts elsewhere{other, {"/q/" + other + "-root"}, {}, false, false, kOld};
  DomainFacts fresh{kGoneVm, {"/p/" + kGoneVm + "-root"}, {}, false, false, kNow - 60};

  std::vector<Finding> ordered =
      cleanup::Classify("p", volumes, {abandoned, elsewhere, fresh}, {}, kNow);
  ASSERT_EQ(ordered.size(), 4u);
  EXPECT_EQ(ordered[0].kind, Finding::Kind::kDomain);  // domains before their volumes
  EXPECT_EQ(ordered[1].kind, Finding::Kind::kDomain);
  auto found = ByVolume(ordered);
  EXPECT_EQ(found[kVm].verdict, Verdict::kRemove);
  EXPECT_EQ(found[kVm].age_seconds, 7200);
  EXPECT_EQ(found[kVm + "-root"].verdict, Verdict::kRemove);  // 5 s old, goes with the domain
  EXPECT_EQ(found[kVm + "-config"].verdict, Verdict::kRemove);
  EXPECT_EQ(found[kGoneVm].verdict, Verdict::kTooYoung);
  EXPECT_EQ(found.count(kGoneVm + "-root"), 0u);  // its domain still uses it
  EXPECT_EQ(found.count(other), 0u);
  EXPECT_EQ(found.count(kSc), 0u);  // the overlay's stemcell is no leftover
  EXPECT_EQ(cleanup::Describe(found[kVm], true)
                .rfind("would remove " + kVm + ": domain of an unfinished create_vm, running", 0),
            0u);

  // An unreadable `since` counts as unknown age: only a minimum age of 0 removes it.
  abandoned.creating_since = 0;
  found = ByVolume(cleanup::Classify("p", volumes, {abandoned}, {}, kNow));
  EXPECT_EQ(found[kVm].verdict, Verdict::kTooYoung);
  EXPECT_EQ(found.count(kVm + "-root"), 0u);
  cleanup::Options now_please;
  now_please.min_age_seconds = 0;
  found = ByVolume(cleanup::Classify("p", volumes, {abandoned}, now_please, kNow));
  EXPECT_EQ(found[kVm].verdict, Verdict::kRemove);
  EXPECT_EQ(found[kVm + "-root"].verdict, Verdict::kRemove);
}

TEST(ReliabilityCleanupRulesTest, DescribesOneLinePerVolume) {
  Finding f;
  f.volume = "vm-x-root";
  f.what = "volume of VM 'vm-x'";
  f.why = "no domain 'vm-x' exists";
  f.age_seconds = 4000;
  f.verdict = Verdict::kRemove;
  EXPECT_EQ(cleanup::Describe(f, true),
            "would remove vm-x-root: volume of VM 'vm-x'; no domain 'vm-x' exists (age 1h06m)");
  f.removed = true;
  EXPECT_EQ(cleanup::Describe(f, false).rfind("removed vm-x-root: ", 0), 0u);
  f.error = "permission denied";
  EXPECT_EQ(cleanup::Describe(f, false).rfind("FAILED vm-x-root: ", 0), 0u);
  EXPECT_EQ(cleanup::FormatAge(59), "59s");
  EXPECT_EQ(cleanup::FormatAge(90061), "1d01h");
}

// --- against a real pool -----------------------------------------------------------------------

class ReliabilityCleanupTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(LibvirtAvailable());
    world_ = std::make_unique<LibvirtWorld>("relcl");
    pool_ = *world_->conn().FindStoragePool(world_->pool());
  }

  std::string Make(const std::string& name, const std::string& backing = "",
                   const std::string& backing_format = "raw") {
    std::string xml =
        "<volume><name>" + name +
        "</name><capacity unit='bytes'>1048576</capacity><target><format type='" +
        (backing.empty() ? "raw" : "qcow2") + "'/></target>" +
        (backing.empty() ? ""
                         : "<backingStore><path>" + world_->pool_dir() + "/" + backing +
                               "</path><format type='" + backing_format + "'/></backingStore>") +
        "</volume>";
    virt::CreateVolume(pool_.get(), xml, name);
    return name;
  }

  // Makes the file look `seconds` old (its mtime).
  void Age(const std::string& name, int64_t seconds) {
    std::string path = world_->pool_dir() + "/" + name;
    struct utimbuf t {};
    t.actime = t.modtime = std::time(nullptr) - seconds;
    ASSERT_EQ(utime(path.c_str(), &t), 0);
  }

  std::vector<std::string> Volumes() {
    std::vector<std::string> v = world_->Volumes();
    std::sort(v.begin(), v.end());
    return v;
  }

  std::unique_ptr<LibvirtWorld> world_;
  virt::StoragePoolPtr pool_;
};

TEST_F(ReliabilityCleanupTest, RemovesOnlyLeftoversFromAPoolFullOfLiveObjects) {
  const std::string config = world_->config_path();
  // Live objects, all made by the CPI itself.
  std::string stemcell = AddStemcellWithSidecar(world_->conn(), world_->pool());
  std::string unused_stemcell = AddStemcellWithSidecar(world_->conn(), world_->pool());
  auto vm_args = [&](const std::string& ip) {
    return json{"agent-cleanup",
                stemcell,
                {{"memory", 128}, {"ephemeral_disk", {{"size", 16}}}},
                ManualNetwork(world_->network(), world_->subnet_prefix() + "." + ip),
                json::array(),
                json::object()};
  };
  json running = CallCpi(config, "create_vm", vm_args("40"));
  json stopped = CallCpi(config, "create_vm", vm_args("41"));
  ASSERT_TRUE(running["error"].is_null() && stopped["error"].is_null()) << running << stopped;
  std::string running_vm = running["result"][0], stopped_vm = stopped["result"][0];
  auto dom = world_->conn().FindDomain(stopped_vm);
  virt::DestroyDomain(dom->get(), stopped_vm);
  std::string disk = CallCpi(config, "create_disk", {16, json::object(), nullptr})["result"];
  std::string bare_disk = CallCpi(config, "create_disk", {16, json::object(), nullptr})["result"];
  ASSERT_TRUE(CallCpi(config, "set_disk_metadata", {disk, {{"a", "b"}}})["error"].is_null());
  ASSERT_TRUE(CallCpi(config, "attach_disk", {stopped_vm, disk})["error"].is_null());
  json snap = CallCpi(config, "snapshot_disk", {bare_disk, json::object()});
  ASSERT_TRUE(snap["error"].is_null()) << snap;
  // A half-uploaded stemcell that a live VM's overlay nevertheless uses: must stay.
  std::string half_in_use = Make(util::NewStemcellCid());
  std::string overlay = Make(running_vm + "-config-alt", half_in_use);  // young: kept
  Age(half_in_use, 7200);
  ASSERT_TRUE(CallCpi(config, "attach_disk", {running_vm, bare_disk})["error"].is_null());
  Make("operator-notes.img");
  std::vector<std::string> live = Volumes();

  // Domains of create_vm calls that never answered (their marker put back by hand, as a killed
  // create_vm leaves it): one from two hours ago, one from a minute ago.
  auto unfinished = [&](const std::string& ip, int64_t age) {
    json r = CallCpi(config, "create_vm", vm_args(ip));
    EXPECT_TRUE(r["error"].is_null()) << r;
    std::string vm = r["result"][0];
    virt::SetDomainMetadata(world_->conn().FindDomain(vm)->get(),
                            "<call since='" + std::to_string(std::time(nullptr) - age) + "'/>",
                            vm::kCreatingPrefix, vm::kCreatingNamespace, vm);
    return vm;
  };
  std::string abandoned_vm = unfinished("43", 7200);
  std::string running_create = unfinished("44", 60);
  std::vector<std::string> abandoned_volumes, running_create_volumes;
  for (const std::string& v : Volumes()) {
    if (v.rfind(abandoned_vm, 0) == 0) abandoned_volumes.push_back(v);
    if (v.rfind(running_create, 0) == 0) running_create_volumes.push_back(v);
  }
  ASSERT_EQ(abandoned_volumes.size(), 3u);

  // Leftovers, one of each kind.
  std::string gone_vm = util::NewVmCid();
  std::vector<std::string> leftovers = {Make(gone_vm + "-root", stemcell, "qcow2"),
                                        Make(gone_vm + "-config"),
                                        Make(stopped_vm + "-config-alt"),
                                        Make(util::NewStemcellCid()),
                                        Make(util::NewStemcellCid() + "-props"),
                                        Make(util::NewDiskCid() + "-meta"),
                                        Make(util::NewSnapshotCid()),
                                        Make(util::NewSnapshotCid() + "-meta")};
  for (const std::string& v : leftovers) Age(v, 7200);
  std::string young = Make(util::NewVmCid() + "-root");

  ProcessResult dry = RunCleanup(config, {"--dry-run"});
  ASSERT_EQ(dry.exit_code, 0) << dry.err;
  for (const std::string& v : leftovers) {
    EXPECT_TRUE(Contains(dry.out, "would remove " + v + ":")) << v << "\n" << dry.out;
  }
  EXPECT_TRUE(Contains(dry.out, "kept " + young + ":")) << dry.out;
  // The stopped VM never got set_vm_metadata: reported for the operator, untouched.
  EXPECT_TRUE(Contains(dry.out, "check " + stopped_vm + ": domain")) << dry.out;
  EXPECT_FALSE(Contains(dry.out, "check " + running_vm)) << dry.out;
  EXPECT_TRUE(Contains(dry.out, "younger than the minimum age")) << dry.out;
  EXPECT_TRUE(Contains(dry.out, "kept " + half_in_use + ": half-uploaded stemcell")) << dry.out;
  EXPECT_TRUE(Contains(dry.out, "volume '" + overlay + "' is backed by it")) << dry.out;
  EXPECT_TRUE(Contains(dry.out, "would remove " + abandoned_vm + ": domain of an unfinished"))
      << dry.out;
  for (const std::string& v : abandoned_volumes) {
    EXPECT_TRUE(Contains(dry.out, "would remove " + v + ": volume of VM")) << dry.out;
  }
  EXPECT_TRUE(Contains(dry.out, "kept " + running_create + ": domain of an unfinished")) << dry.out;
  EXPECT_FALSE(Contains(dry.out, running_create + "-root")) << dry.out;
  std::vector<std::string> everything = live;
  everything.insert(everything.end(), abandoned_volumes.begin(), abandoned_volumes.end());
  everything.insert(everything.end(), running_create_volumes.begin(), running_create_volumes.end());
  everything.insert(everything.end(), leftovers.begin(), leftovers.end());
  everything.push_back(young);
  std::sort(everything.begin(), everything.end());
  EXPECT_EQ(Volumes(), everything) << "a dry run removed something";

  ProcessResult run = RunCleanup(config, {});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  for (const std::string& v : leftovers) EXPECT_TRUE(Contains(run.out, "removed " + v + ":"));
  EXPECT_TRUE(Contains(run.out, "removed " + abandoned_vm + ": domain")) << run.out;
  EXPECT_TRUE(world_->DomainsNamed(abandoned_vm).empty());
  EXPECT_EQ(CallCpi(config, "has_vm", {abandoned_vm})["result"], false);
  std::vector<std::string> expected = live;
  expected.insert(expected.end(), running_create_volumes.begin(), running_create_volumes.end());
  expected.push_back(young);
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(Volumes(), expected);

  // The live objects still work.
  EXPECT_EQ(CallCpi(config, "has_vm", {running_vm})["result"], true);
  EXPECT_EQ(CallCpi(config, "get_disks", {stopped_vm})["result"], json::array({disk}));
  json another = CallCpi(config, "create_vm", vm_args("42"));
  EXPECT_TRUE(another["error"].is_null()) << another;
  for (const std::string& vm :
       {running_vm, stopped_vm, running_create, another["result"][0].get<std::string>()}) {
    EXPECT_TRUE(CallCpi(config, "delete_vm", {vm})["error"].is_null());
  }
  EXPECT_TRUE(CallCpi(config, "delete_stemcell", {unused_stemcell})["error"].is_null());
}

TEST_F(ReliabilityCleanupTest, BadUsageAndUnreachableDaemonFailWithoutTouchingAnything) {
  EXPECT_EQ(RunCleanup(world_->config_path(), {"--min-age", "-5"}).exit_code, 2);
  EXPECT_EQ(RunCleanup(world_->config_path(), {"--frobnicate"}).exit_code, 2);
  std::string config = world_->config_path() + ".nodaemon";
  WriteConfig(config, "qemu+unix:///system?socket=/tmp/cpirel-none.sock", world_->pool(),
              world_->network(), world_->lock_dir(), "/tmp");
  ProcessResult r = RunCleanup(config, {});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(Contains(r.err, "Connecting to libvirt")) << r.err;
}

}  // namespace
}  // namespace cpi::testing::reliability
