// The host facts and the volume streams of the virt interface (virt/objects.h), on the recording
// fake (tests/support/fake_virt.h), and virt::Connect's bound on a daemon that never answers.
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>

#include "bosh_libvirt_cpi/util/abandoned_threads.h"
#include "bosh_libvirt_cpi/virt/error.h"
#include "bosh_libvirt_cpi/virt/objects.h"
#include "support/fake_virt.h"
#include "support/loopback.h"

namespace cpi::testing {
namespace {

TEST(VirtHostFactsTest, FakeReportsFreeMemoryVersionsAndPoolSpace) {
  FakeHypervisor hv;
  hv.free_memory = 3ull << 30;
  hv.pool_capacity = 10ull << 30;
  hv.AddVolume("disk-a", 1 << 20);
  hv.volumes["disk-a"].content = std::string(4096, 'x');
  std::unique_ptr<virt::Connection> conn = FakeConnection(hv);

  EXPECT_EQ(conn->FreeMemoryBytes(), 3ull << 30);
  EXPECT_EQ(conn->LibraryVersion(), "9.0.0");
  EXPECT_EQ(conn->HypervisorVersion(), "7.2.0");
  virt::PoolSpace space = conn->FindPool(hv.pool_name)->Space();
  EXPECT_EQ(space.capacity, 10ull << 30);
  EXPECT_EQ(space.allocation, 4096u);
  EXPECT_EQ(space.available, (10ull << 30) - 4096);
  EXPECT_TRUE(hv.calls.empty()) << "reads are not recorded";
}

TEST(VirtHostFactsTest, FakeFactsFailLikeOtherCallsWhenTheDaemonIsLost) {
  FakeHypervisor hv;
  std::unique_ptr<virt::Connection> conn = FakeConnection(hv);
  hv.fail = {"^free_memory$"};
  EXPECT_THROW(conn->FreeMemoryBytes(), virt::Error);
  hv.fail.clear();
  hv.connection_lost = true;
  try {
    conn->FindPool(hv.pool_name)->Space();
    FAIL() << "expected virt::Error";
  } catch (const virt::Error& e) {
    EXPECT_TRUE(e.transient()) << e.what();
  }
}

TEST(VirtCopyVolumeTest, CopiesContentBetweenConnectionsKeepingHolesAsHoles) {
  FakeHypervisor a, b;
  a.AddVolume("sc-base", 1 << 20);
  std::string content(1 << 20, '\0');
  content.replace(0, 5, "start");
  content.replace((1 << 20) - 3, 3, "end");
  a.volumes["sc-base"].content = content;
  a.chunk = 1000;  // data arrives in many small pieces
  b.AddVolume("sc-base", 1 << 20);
  std::unique_ptr<virt::Connection> from = FakeConnection(a);
  std::unique_ptr<virt::Connection> to = FakeConnection(b);

  virt::CopyVolume(*from->FindPool(a.pool_name)->FindVolume("sc-base"),
                   *to->FindPool(b.pool_name)->FindVolume("sc-base"));

  EXPECT_EQ(b.volumes["sc-base"].content, content);
  EXPECT_GE(b.holes_received, (1u << 20) - 2 * 4096) << "the zero blocks travelled as holes";
  EXPECT_EQ(a.calls, std::vector<std::string>{"download sc-base"});
  EXPECT_EQ(b.calls, std::vector<std::string>{"upload sc-base"});
}

TEST(VirtCopyVolumeTest, DownloadToHandsOutBoundedPiecesInOrder) {
  FakeHypervisor hv;
  hv.AddVolume("v", 10000);
  hv.volumes["v"].content = std::string(10000, 'z');
  hv.chunk = 4096;
  std::string got;
  size_t largest = 0;
  FakeConnection(hv)
      ->FindPool(hv.pool_name)
      ->FindVolume("v")
      ->DownloadTo(
          [&](const char* data, uint64_t size) {
            ASSERT_NE(data, nullptr);
            largest = std::max<size_t>(largest, size);
            got.append(data, size);
          },
          /*sparse=*/false);
  EXPECT_EQ(got, std::string(10000, 'z'));
  EXPECT_EQ(largest, 4096u);
}

TEST(VirtCopyVolumeTest, AFailedUploadNamesBothVolumesAndKeepsTheErrorKind) {
  FakeHypervisor a, b;
  a.AddVolume("sc-src", 4096);
  a.volumes["sc-src"].content = "data";
  b.AddVolume("sc-dst", 4096);
  b.connection_lost = true;
  try {
    virt::CopyVolume(*FakeConnection(a)->FindPool(a.pool_name)->FindVolume("sc-src"),
                     *FakeConnection(b)->FindPool(b.pool_name)->FindVolume("sc-dst"));
    FAIL() << "expected virt::Error";
  } catch (const virt::Error& e) {
    std::string what = e.what();
    EXPECT_NE(what.find("copying volume 'sc-src' to 'sc-dst'"), std::string::npos) << what;
    EXPECT_TRUE(e.transient()) << what;
  }
}

// A host that accepts connections but never answers: its libvirtd hangs, or a firewall swallows
// the traffic.
TEST(VirtConnectTest, AHostThatNeverAnswersFailsRetryablyWithinTheTimeout) {
  LoopbackListener silent = ListenOnLoopback();
  std::string uri = "qemu+tcp://bosh:s3cret@127.0.0.1:" + std::to_string(silent.port) + "/system";
  auto start = std::chrono::steady_clock::now();
  try {
    virt::Connect(uri, /*timeout_seconds=*/1);
    FAIL() << "expected virt::Error";
  } catch (const virt::Error& e) {
    std::string what = e.what();
    EXPECT_TRUE(e.transient()) << what;
    EXPECT_NE(what.find("no answer in 1 s"), std::string::npos) << what;
    EXPECT_NE(what.find("127.0.0.1:" + std::to_string(silent.port)), std::string::npos) << what;
    EXPECT_EQ(what.find("s3cret"), std::string::npos) << "the password is redacted: " << what;
  }
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(3));
  EXPECT_EQ(util::AbandonedThreads(), 1);

  // Once the host goes away for good (closing the listener resets the queued connection), the
  // thread left in virConnectOpen ends by itself.
  silent.fd.reset();
  for (int i = 0; i < 100 && util::AbandonedThreads() > 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ(util::AbandonedThreads(), 0);
}

}  // namespace
}  // namespace cpi::testing
