// create_vm against a recording fake hypervisor: what it does, in which order, and what it undoes
// when a step fails. The same flows run against a real libvirtd in tests/integration and
// tests/reliability/rollback_test.cc.
#include "bosh_libvirt_cpi/vm/vm_service.h"

#include <gtest/gtest.h>

#include <chrono>
#include <optional>

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
      failure_ = e;
    }
    std::vector<std::string> created = hv_.CallsStartingWith("create_volume ");
    if (created.empty()) return "";
    std::string root = created.front().substr(std::string("create_volume ").size());
    return root.substr(0, root.size() - std::string("-root").size());
  }

  // The undo of a defined domain and its three volumes, in order.
  static std::vector<std::string> UndoOfEverything(const std::string& cid) {
    return {"destroy_domain " + cid, "undefine_domain " + cid, "delete_volume " + cid + "-config",
            "delete_volume " + cid + "-ephemeral", "delete_volume " + cid + "-root"};
  }

  testing::FakeWorld world_;
  std::optional<Error> failure_;  // what the last CreateExpectingFailure caught
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
  EXPECT_EQ(undo, UndoOfEverything(cid));

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

// The daemon is lost right after the domain was defined (the start fails with a transient
// error) and refuses two reconnects: the rollback reconnects, removes the domain and the volumes
// on the new connection, proves them gone, and only then answers retryable.
TEST_F(CreateVmTest, LostDaemonIsReconnectedToUndoEverythingBeforeARetryableAnswer) {
  hv_.lose_connection_after.push_back("^define_domain ");
  hv_.refuse_connects = 2;
  std::string cid = CreateExpectingFailure();
  ASSERT_TRUE(failure_.has_value());
  EXPECT_TRUE(failure_->ok_to_retry()) << failure_->what();
  std::vector<std::string> undo(hv_.calls.begin() + 5, hv_.calls.end());
  std::vector<std::string> expected = {"start_domain " + cid,
                                       "destroy_domain " + cid,  // fails: the connection is lost
                                       "connect", "connect", "connect"};
  for (const std::string& call : UndoOfEverything(cid)) expected.push_back(call);
  EXPECT_EQ(undo, expected);
  EXPECT_TRUE(hv_.domains.empty());
  EXPECT_EQ(hv_.volumes.size(), 1u) << "only the stemcell is left";
}

// A request that failed because the daemon was lost may have been carried out: the volume it
// was making is deleted too (a volume refused by libvirt is not:
// FailedSecondVolumeDeletesOnlyTheFirst).
TEST_F(CreateVmTest, VolumeWhoseAnswerWasLostIsDeletedToo) {
  hv_.lose_connection_after.push_back("^create_volume .*-ephemeral$");
  std::string cid = CreateExpectingFailure();
  ASSERT_FALSE(cid.empty());
  EXPECT_EQ(hv_.calls, (std::vector<std::string>{
                           "create_volume " + cid + "-root",
                           "create_volume " + cid + "-ephemeral",
                           "create_volume " + cid + "-config",
                           "delete_volume " + cid + "-config",
                           "connect",
                           "delete_volume " + cid + "-config",
                           "delete_volume " + cid + "-ephemeral",
                           "delete_volume " + cid + "-root",
                       }));
  EXPECT_EQ(hv_.volumes.size(), 1u);
}

// The daemon stays away longer than libvirt.rollback_reconnect_seconds: the answer is not
// retryable and names every object that may be left, and the cleanup command.
TEST_F(CreateVmTest, DaemonGoneLongerThanTheBoundIsNotRetryableAndNamesTheLeftovers) {
  config_.libvirt.rollback_reconnect_seconds = 1;
  hv_.lose_connection_after.push_back("^define_domain ");
  hv_.refuse_connects = 1000;
  auto start = std::chrono::steady_clock::now();
  std::string cid = CreateExpectingFailure();
  ASSERT_TRUE(failure_.has_value());
  std::string message = failure_->what();
  EXPECT_FALSE(failure_->ok_to_retry()) << message;
  for (const std::string& object :
       {"domain '" + cid + "'", "volume '" + cid + "-root'", "volume '" + cid + "-ephemeral'",
        "volume '" + cid + "-config'", std::string("bosh-libvirt-cpi cleanup")}) {
    EXPECT_NE(message.find(object), std::string::npos) << object << " not in: " << message;
  }
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::seconds(1));
  EXPECT_EQ(hv_.volumes.size(), 4u) << "nothing could be removed";
}

}  // namespace
}  // namespace cpi::vm
