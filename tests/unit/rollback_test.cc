// host::Rollback against the recording fake: which notes it keeps, what it removes, what it keeps
// on purpose, and that the call's own error goes on unchanged once everything is proved gone.
// The daemon-restart cases against a real libvirtd are in
// tests/reliability/daemon_restart_test.cc.
#include "bosh_libvirt_cpi/host/rollback.h"

#include <gtest/gtest.h>

#include "bosh_libvirt_cpi/errors.h"
#include "support/fake_virt.h"

namespace cpi::host {
namespace {

constexpr char kVolumeXml[] = "<volume><capacity>1</capacity></volume>";

class RollbackTest : public ::testing::Test {
 protected:
  // Runs `body` under WithRollback expecting it to fail; returns what came out, as an action
  // reports it (RethrowWithStep with step "call").
  template <typename Body>
  Error Fail(Body&& body) {
    Host host = world_.OpenHost();
    try {
      WithRollback(host, [&](Rollback& undo) { body(host, undo); });
    } catch (...) {
      try {
        RethrowWithStep("call");
      } catch (const Error& e) {
        return e;
      }
    }
    ADD_FAILURE() << "nothing was thrown";
    return CloudError("none");
  }

  testing::FakeWorld world_;
  testing::FakeHypervisor& hv_ = world_.hv;
};

TEST_F(RollbackTest, RemovesWhatWasMadeRunsStepsAndKeepsWhatIsInUse) {
  std::vector<std::string> steps;
  Error e = Fail([&](Host& host, Rollback& undo) {
    undo.MakeVolume("a", [&] { return host.Pool().CreateVolume(kVolumeXml, "a"); });
    undo.Add("step", [&](Host&) { steps.push_back("step"); });
    undo.MakeVolume(
        "kept", [&] { return host.Pool().CreateVolume(kVolumeXml, "kept"); },
        [](Host&) { return true; });
    throw CloudError("boom", /*retry=*/true);
  });
  EXPECT_EQ(std::string(e.what()), "call: boom");
  EXPECT_TRUE(e.ok_to_retry());
  EXPECT_EQ(steps, std::vector<std::string>{"step"});
  EXPECT_EQ(hv_.volumes.count("a"), 0u);
  EXPECT_EQ(hv_.volumes.count("kept"), 1u) << "in use: kept";
}

// libvirt refused (not transient): it made nothing, so nothing is deleted.
TEST_F(RollbackTest, ARefusedRequestIsNotUndone) {
  hv_.fail.push_back("^create_volume b$");
  Fail([&](Host& host, Rollback& undo) {
    undo.MakeVolume("b", [&] { return host.Pool().CreateVolume(kVolumeXml, "b"); });
  });
  EXPECT_EQ(hv_.calls, std::vector<std::string>{"create_volume b"});
}

// The connection was lost during the request: it may have gone through, so the rollback
// reconnects and deletes it; the lost-connection error goes on retryable.
TEST_F(RollbackTest, ARequestWhoseAnswerWasLostIsUndoneAfterReconnecting) {
  hv_.lose_connection_after.push_back("^create_volume c$");
  Error e = Fail([&](Host& host, Rollback& undo) {
    undo.MakeVolume("c", [&] { return host.Pool().CreateVolume(kVolumeXml, "c"); });
    undo.MakeVolume("d", [&] { return host.Pool().CreateVolume(kVolumeXml, "d"); });
  });
  EXPECT_EQ(e.type(), ErrorType::kCloudError) << e.what();
  EXPECT_TRUE(e.ok_to_retry()) << e.what();
  EXPECT_EQ(hv_.calls,
            (std::vector<std::string>{"create_volume c", "create_volume d", "delete_volume d",
                                      "connect", "delete_volume d", "delete_volume c"}));
  EXPECT_TRUE(hv_.volumes.empty());
}

}  // namespace
}  // namespace cpi::host
