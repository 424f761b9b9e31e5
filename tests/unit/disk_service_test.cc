// attach_disk against a recording fake hypervisor: each place a disk can be in (neither
// definition, the persistent one only, the running one only, both) and what the call adds. The
// same flows run against a real libvirtd in tests/integration/libvirt_disk_test.cc.
#include "bosh_libvirt_cpi/disk/disk_service.h"

#include <gtest/gtest.h>

#include "bosh_libvirt_cpi/errors.h"
#include "bosh_libvirt_cpi/util/ids.h"
#include "support/fake_virt.h"

namespace cpi::disk {
namespace {

using testing::FakeHypervisor;

class AttachDiskTest : public ::testing::Test {
 protected:
  AttachDiskTest() {
    disk_ = util::NewDiskCid();
    disk_path_ = hv_.AddVolume(disk_, 1 << 30, "qcow2");
    vm_ = util::NewVmCid();
  }

  // The disk's device as attach_disk writes it, at `target`.
  std::string Device(const std::string& target) const {
    return "<disk type='file' device='disk'><driver name='qemu' type='qcow2'/><source file='" +
           disk_path_ + "'/><target dev='" + target + "' bus='virtio'/><serial>" + disk_ +
           "</serial><alias name='ua-" + disk_ + "'/></disk>";
  }
  static std::string DomainXml(const std::string& name, const std::string& devices) {
    return "<domain type='qemu'><name>" + name +
           "</name><devices><disk type='file' device='disk'><source file='/fake/pool/" + name +
           "-root'/><target dev='vda' bus='virtio'/></disk>" + devices + "</devices></domain>";
  }
  // Defines the VM; `config_devices` / `live_devices` are added to its two definitions, and it
  // runs when `running`.
  void DefineVm(bool running, const std::string& config_devices = "",
                const std::string& live_devices = "") {
    FakeHypervisor::Domain& d = hv_.domains[vm_];
    d.config_xml = DomainXml(vm_, config_devices);
    if (running) d.live_xml = DomainXml(vm_, live_devices);
  }
  AttachResult Attach() {
    host::Host host = world_.OpenHost();
    return AttachDisk(host, vm_, disk_);
  }
  // How many devices of `xml` are the disk (by its serial).
  size_t TimesIn(const std::string& xml) const {
    std::string serial = "<serial>" + disk_ + "</serial>";
    size_t n = 0;
    for (size_t at = xml.find(serial); at != std::string::npos; at = xml.find(serial, at + 1)) ++n;
    return n;
  }

  testing::FakeWorld world_;
  FakeHypervisor& hv_ = world_.hv;
  std::string disk_, disk_path_, vm_;
};

TEST_F(AttachDiskTest, StoppedVmGetsTheDiskInItsDefinition) {
  DefineVm(/*running=*/false);
  AttachResult r = Attach();
  EXPECT_EQ(r.target, "vdc");
  EXPECT_FALSE(r.already);
  EXPECT_EQ(hv_.calls, std::vector<std::string>{"attach_device " + vm_ + " config"});
}

TEST_F(AttachDiskTest, RunningVmGetsTheDiskInBothDefinitionsAtOnce) {
  DefineVm(/*running=*/true);
  AttachResult r = Attach();
  EXPECT_EQ(r.target, "vdc");
  EXPECT_EQ(hv_.calls, std::vector<std::string>{"attach_device " + vm_ + " live+config"});
  EXPECT_EQ(TimesIn(hv_.domains[vm_].live_xml), 1u);
  EXPECT_EQ(TimesIn(hv_.domains[vm_].config_xml), 1u);
}

TEST_F(AttachDiskTest, InTheDefinitionOnlyIsHotPluggedUnderTheSameTarget) {
  // A detach whose definition part was undone, or an attach killed after its config step.
  DefineVm(/*running=*/true, Device("vdd"), "");
  AttachResult r = Attach();
  EXPECT_EQ(r.target, "vdd");
  EXPECT_FALSE(r.already);
  EXPECT_EQ(hv_.calls, std::vector<std::string>{"attach_device " + vm_ + " live"});
  EXPECT_EQ(TimesIn(hv_.domains[vm_].config_xml), 1u);
  EXPECT_EQ(TimesIn(hv_.domains[vm_].live_xml), 1u);
}

TEST_F(AttachDiskTest, InTheRunningDomainOnlyIsPutBackIntoTheDefinition) {
  // A detach whose live part never completed.
  DefineVm(/*running=*/true, "", Device("vde"));
  AttachResult r = Attach();
  EXPECT_EQ(r.target, "vde");
  EXPECT_FALSE(r.already);
  EXPECT_EQ(hv_.calls, std::vector<std::string>{"attach_device " + vm_ + " config"});
  EXPECT_EQ(TimesIn(hv_.domains[vm_].config_xml), 1u);
  EXPECT_EQ(TimesIn(hv_.domains[vm_].live_xml), 1u);
}

TEST_F(AttachDiskTest, TakenTargetInTheOtherDefinitionPicksAFreeOne) {
  // The definition holds the disk as vdc, but the running domain has something else at vdc.
  std::string other =
      "<disk type='file' device='disk'><source file='/elsewhere/x'/>"
      "<target dev='vdc' bus='virtio'/></disk>";
  DefineVm(/*running=*/true, Device("vdc"), other);
  AttachResult r = Attach();
  EXPECT_EQ(r.target, "vdd");
  EXPECT_EQ(hv_.calls, std::vector<std::string>{"attach_device " + vm_ + " live"});
}

TEST_F(AttachDiskTest, InBothDefinitionsChangesNothing) {
  DefineVm(/*running=*/true, Device("vdc"), Device("vdc"));
  AttachResult r = Attach();
  EXPECT_EQ(r.target, "vdc");
  EXPECT_TRUE(r.already);
  EXPECT_TRUE(hv_.calls.empty());
}

TEST_F(AttachDiskTest, DiskOfAnotherVmIsRefused) {
  DefineVm(/*running=*/false);
  std::string other = util::NewVmCid();
  hv_.domains[other].config_xml = DomainXml(other, Device("vdc"));
  try {
    Attach();
    ADD_FAILURE() << "attach_disk succeeded";
  } catch (const Error& e) {
    EXPECT_EQ(e.type(), ErrorType::kCloudError);
    EXPECT_NE(std::string(e.what()).find(other), std::string::npos) << e.what();
  }
  EXPECT_TRUE(hv_.calls.empty());
}

TEST_F(AttachDiskTest, FailedAttachLeavesTheDomainAsItWas) {
  DefineVm(/*running=*/true);
  hv_.fail.push_back("^attach_device ");
  std::string before = hv_.domains[vm_].config_xml;
  EXPECT_THROW(Attach(), std::exception);
  // The state did not move between the two reads: the failure is reported, not retried.
  EXPECT_EQ(hv_.calls, std::vector<std::string>{"attach_device " + vm_ + " live+config"});
  EXPECT_EQ(hv_.domains[vm_].config_xml, before);
}

}  // namespace
}  // namespace cpi::disk
