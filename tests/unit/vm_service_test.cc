// create_vm against a recording fake hypervisor: what it does, in which order, and what it undoes
// when a step fails. The same flows run against a real libvirtd in tests/integration and
// tests/reliability/rollback_test.cc.
#include "bosh_libvirt_cpi/vm/vm_service.h"

#include <gtest/gtest.h>

#include "bosh_libvirt_cpi/errors.h"
#include "bosh_libvirt_cpi/util/ids.h"
#include "bosh_libvirt_cpi/vm/domain_spec.h"
#include "support/fake_virt.h"

namespace cpi::vm {
namespace {

using testing::FakeHypervisor;

constexpr uint64_t kMiB = 1024 * 1024;

class CreateVmTest : public ::testing::Test {
 protected:
  CreateVmTest() {
    config_.libvirt.domain_type = config::DomainType::kQemu;
    config_.agent.mbus = "nats://user:pass@10.0.0.6:4222";
    stemcell_ = util::NewStemcellCid();
    hv_.AddVolume(stemcell_, 64 * kMiB, "qcow2");
  }

  CreateVmInput Input() const {
    CreateVmInput in;
    in.agent_id = "agent-1";
    in.stemcell_cid = stemcell_;
    in.cloud_properties = {{"cpu", 1}, {"memory", 256}, {"ephemeral_disk", {{"size", 1024}}}};
    in.networks = {{"default", {{"type", "dynamic"}}}};
    return in;
  }

  // Runs CreateVm expecting VMCreationFailed; returns the VM CID it used ("" when none).
  std::string CreateExpectingFailure() {
    host::Host host = world_.OpenHost();
    try {
      CreateVm(host, Input());
      ADD_FAILURE() << "create_vm succeeded";
    } catch (const Error& e) {
      EXPECT_EQ(e.type(), ErrorType::kVmCreationFailed) << e.what();
    }
    std::vector<std::string> created = hv_.CallsStartingWith("create_volume ");
    if (created.empty()) return "";
    std::string root = created.front().substr(std::string("create_volume ").size());
    return root.substr(0, root.size() - std::string("-root").size());
  }

  testing::FakeWorld world_;
  FakeHypervisor& hv_ = world_.hv;
  config::Config& config_ = world_.config;
  std::string stemcell_;
};

TEST_F(CreateVmTest, CreatesVolumesThenDefinesAndStartsTheDomain) {
  host::Host host = world_.OpenHost();
  CreatedVm vm = CreateVm(host, Input());
  EXPECT_EQ(hv_.calls, (std::vector<std::string>{
                           "create_volume " + vm.cid + "-root",
                           "create_volume " + vm.cid + "-ephemeral",
                           "create_volume " + vm.cid + "-config",
                           "upload " + vm.cid + "-config",
                           "define_domain " + vm.cid,
                           "start_domain " + vm.cid,
                           "set_metadata " + vm.cid + " " + kCreatingNamespace,
                       }));
  EXPECT_EQ(hv_.volumes.at(vm.cid + "-root").backing_path, hv_.volumes.at(stemcell_).path);
  EXPECT_TRUE(FindVm(host, vm.cid)->Active());
}

TEST_F(CreateVmTest, FailedStartUndoesEverythingInReverseOrder) {
  hv_.fail.push_back("^start_domain ");
  std::string cid = CreateExpectingFailure();
  ASSERT_FALSE(cid.empty());
  std::vector<std::string> undo(hv_.calls.begin() + 6, hv_.calls.end());
  EXPECT_EQ(undo, (std::vector<std::string>{
                      "destroy_domain " + cid,
                      "undefine_domain " + cid,
                      "delete_volume " + cid + "-config",
                      "delete_volume " + cid + "-ephemeral",
                      "delete_volume " + cid + "-root",
                  }));
  EXPECT_TRUE(hv_.domains.empty());
  EXPECT_EQ(hv_.volumes.size(), 1u) << "only the stemcell is left";
}

TEST_F(CreateVmTest, FailedDefineDeletesTheVolumesMadeSoFar) {
  hv_.fail.push_back("^define_domain ");
  std::string cid = CreateExpectingFailure();
  ASSERT_FALSE(cid.empty());
  std::vector<std::string> undo(hv_.calls.begin() + 5, hv_.calls.end());
  EXPECT_EQ(undo, (std::vector<std::string>{
                      "delete_volume " + cid + "-config",
                      "delete_volume " + cid + "-ephemeral",
                      "delete_volume " + cid + "-root",
                  }));
  EXPECT_EQ(hv_.volumes.size(), 1u);
}

TEST_F(CreateVmTest, FailedUploadOfTheConfigDriveDeletesItAndTheDisksBeforeIt) {
  hv_.fail.push_back("^upload ");
  std::string cid = CreateExpectingFailure();
  ASSERT_FALSE(cid.empty());
  EXPECT_EQ(hv_.CallsStartingWith("define_domain"), std::vector<std::string>{});
  std::vector<std::string> undo(hv_.calls.begin() + 4, hv_.calls.end());
  EXPECT_EQ(undo, (std::vector<std::string>{
                      "delete_volume " + cid + "-config",
                      "delete_volume " + cid + "-ephemeral",
                      "delete_volume " + cid + "-root",
                  }));
}

TEST_F(CreateVmTest, FailedSecondVolumeDeletesOnlyTheFirst) {
  hv_.fail.push_back("^create_volume .*-ephemeral$");
  std::string cid = CreateExpectingFailure();
  ASSERT_FALSE(cid.empty());
  EXPECT_EQ(hv_.calls, (std::vector<std::string>{
                           "create_volume " + cid + "-root",
                           "create_volume " + cid + "-ephemeral",
                           "delete_volume " + cid + "-root",
                       }));
}

TEST_F(CreateVmTest, MissingStemcellChangesNothing) {
  hv_.volumes.erase(stemcell_);
  host::Host host = world_.OpenHost();
  try {
    CreateVm(host, Input());
    ADD_FAILURE() << "create_vm succeeded";
  } catch (const Error& e) {
    EXPECT_EQ(e.type(), ErrorType::kCloudError);
    EXPECT_NE(std::string(e.what()).find("not found"), std::string::npos) << e.what();
  }
  EXPECT_TRUE(hv_.calls.empty());
}

}  // namespace
}  // namespace cpi::vm
