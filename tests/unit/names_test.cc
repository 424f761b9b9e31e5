#include "bosh_libvirt_cpi/names/names.h"

#include <gtest/gtest.h>

#include "bosh_libvirt_cpi/util/ids.h"

namespace cpi::names {
namespace {

TEST(NamesTest, EveryVolumeNameParsesBackToItsCid) {
  std::string vm = util::NewVmCid(), sc = util::NewStemcellCid(), disk = util::NewDiskCid(),
              snap = util::NewSnapshotCid();
  struct Case {
    std::string name;
    VolumeName::Kind kind;
    std::string cid;
  };
  for (const Case& c : std::vector<Case>{{RootVolume(vm), VolumeName::kVm, vm},
                                         {EphemeralVolume(vm), VolumeName::kVm, vm},
                                         {ConfigVolume(vm), VolumeName::kVm, vm},
                                         {AlternateConfigVolume(vm), VolumeName::kVm, vm},
                                         {sc, VolumeName::kStemcell, sc},
                                         {StemcellPropertiesVolume(sc), VolumeName::kStemcell, sc},
                                         {disk, VolumeName::kDisk, disk},
                                         {MetadataVolume(disk), VolumeName::kDisk, disk},
                                         {snap, VolumeName::kSnapshot, snap},
                                         {MetadataVolume(snap), VolumeName::kSnapshot, snap}}) {
    std::optional<VolumeName> n = ParseVolumeName(c.name);
    ASSERT_TRUE(n) << c.name;
    EXPECT_EQ(n->kind, c.kind) << c.name;
    EXPECT_EQ(n->cid, c.cid) << c.name;
    EXPECT_EQ(n->cid + n->suffix, c.name);
  }
}

TEST(NamesTest, NamesTheCpiNeverGivesAreNotOurs) {
  std::string vm = util::NewVmCid();
  for (const std::string& name :
       {std::string("root"), vm, vm + "-swap", vm + "-root2", util::NewStemcellCid() + "-meta",
        util::NewDiskCid() + "-props", std::string("disk-xyz"), std::string("")}) {
    EXPECT_EQ(ParseVolumeName(name), std::nullopt) << name;
  }
}

TEST(NamesTest, SuffixesAreTheOnesOperatorsSee) {
  EXPECT_EQ(RootVolume("vm-x"), "vm-x-root");
  EXPECT_EQ(EphemeralVolume("vm-x"), "vm-x-ephemeral");
  EXPECT_EQ(ConfigVolume("vm-x"), "vm-x-config");
  EXPECT_EQ(AlternateConfigVolume("vm-x"), "vm-x-config-alt");
  EXPECT_EQ(StemcellPropertiesVolume("sc-x"), "sc-x-props");
  EXPECT_EQ(MetadataVolume("disk-x"), "disk-x-meta");
}

}  // namespace
}  // namespace cpi::names
