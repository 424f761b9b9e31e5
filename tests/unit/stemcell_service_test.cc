// delete_stemcell against a recording fake hypervisor: it refuses while a VM's disks depend on
// the stemcell, whichever way the VM names them, and deletes nothing then. The same flows run
// against a real libvirtd in tests/integration/libvirt_stemcell_test.cc.
#include "bosh_libvirt_cpi/names/names.h"
#include "bosh_libvirt_cpi/stemcell/stemcell.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "bosh_libvirt_cpi/errors.h"
#include "bosh_libvirt_cpi/util/ids.h"
#include "support/fake_virt.h"

namespace cpi::stemcell {
namespace {

using testing::FakeHypervisor;

class DeleteStemcellTest : public ::testing::Test {
 protected:
  DeleteStemcellTest() {
    cid_ = util::NewStemcellCid();
    base_ = hv_.AddVolume(cid_, 1 << 30, "qcow2");
    hv_.AddVolume(names::StemcellPropertiesVolume(cid_), 100);
    vm_ = util::NewVmCid();
    overlay_ = hv_.AddVolume(vm_ + "-root", 1 << 30, "qcow2", base_);
  }

  static std::string DomainXml(const std::string& name, const std::string& source) {
    return "<domain type='qemu'><name>" + name +
           "</name><devices><disk type='file' "
           "device='disk'>" +
           source + "<target dev='vda' bus='virtio'/></disk></devices></domain>";
  }

  DeleteResult Delete() {
    host::Host host = world_.OpenHost();
    return DeleteStemcell(host, cid_);
  }

  void ExpectRefused() {
    try {
      Delete();
      ADD_FAILURE() << "delete_stemcell succeeded";
    } catch (const Error& e) {
      EXPECT_EQ(e.type(), ErrorType::kCloudError);
      EXPECT_NE(std::string(e.what()).find(vm_), std::string::npos) << e.what();
    }
    EXPECT_EQ(hv_.CallsStartingWith("delete_volume"), std::vector<std::string>{});
    EXPECT_EQ(hv_.volumes.count(cid_), 1u);
    EXPECT_EQ(hv_.volumes.count(names::StemcellPropertiesVolume(cid_)), 1u);
  }

  testing::FakeWorld world_;
  FakeHypervisor& hv_ = world_.hv;
  std::string cid_, base_, vm_, overlay_;
};

TEST_F(DeleteStemcellTest, RefusesWhileAStoppedVmsOverlayIsBackedByIt) {
  hv_.domains[vm_].config_xml = DomainXml(vm_, "<source file='" + overlay_ + "'/>");
  ExpectRefused();
}

TEST_F(DeleteStemcellTest, RefusesWhileAVmNamesItsOverlayByPoolAndVolume) {
  hv_.domains[vm_].config_xml =
      DomainXml(vm_, "<source pool='" + hv_.pool_name + "' volume='" + vm_ + "-root'/>");
  ExpectRefused();
}

TEST_F(DeleteStemcellTest, RefusesWhileOnlyTheRunningDomainUsesIt) {
  // A transient domain: no persistent definition, only its live XML names the base directly.
  hv_.domains[vm_].live_xml = DomainXml(vm_, "<source file='" + base_ + "'/>");
  ExpectRefused();
}

TEST_F(DeleteStemcellTest, RefusesWhileAnOverlayOfNoVmIsBackedByIt) {
  // The overlay has no domain (a create_vm between its overlay and its definition, or one that
  // was killed there): deleting its base would break it; it is cleanup's to remove first.
  try {
    Delete();
    ADD_FAILURE() << "delete_stemcell succeeded";
  } catch (const Error& e) {
    EXPECT_EQ(e.type(), ErrorType::kCloudError);
    EXPECT_FALSE(e.ok_to_retry());
    EXPECT_NE(std::string(e.what()).find("'" + vm_ + "-root'"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("cleanup"), std::string::npos) << e.what();
  }
  EXPECT_EQ(hv_.CallsStartingWith("delete_volume"), std::vector<std::string>{});
}

TEST_F(DeleteStemcellTest, DeletesBothVolumesOnceNoOverlayIsLeft) {
  hv_.volumes.erase(vm_ + "-root");
  EXPECT_EQ(Delete(), DeleteResult::kDeleted);
  EXPECT_EQ(hv_.calls,
            (std::vector<std::string>{"delete_volume " + cid_,
                                      "delete_volume " + names::StemcellPropertiesVolume(cid_)}));
  EXPECT_TRUE(std::filesystem::is_empty(world_.lock_dir)) << "the stemcell's lock file is gone";
}

TEST_F(DeleteStemcellTest, MissingBaseFinishesAnInterruptedDelete) {
  hv_.volumes.erase(cid_);
  EXPECT_EQ(Delete(), DeleteResult::kNotFound);
  EXPECT_EQ(hv_.calls,
            std::vector<std::string>{"delete_volume " + names::StemcellPropertiesVolume(cid_)});
}

}  // namespace
}  // namespace cpi::stemcell
