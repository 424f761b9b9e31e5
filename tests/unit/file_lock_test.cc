// util::FileLock's shared mode (create_vm on a stemcell) against its exclusive mode
// (delete_stemcell): shared holders run side by side, an exclusive one waits for all of them, and
// the lock file is gone once the last holder let go. flock(2) locks belong to the open file, so
// two locks of one process conflict exactly as two processes' would.
#include "bosh_libvirt_cpi/util/file_lock.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <functional>
#include <optional>
#include <thread>

#include "bosh_libvirt_cpi/util/ids.h"

namespace cpi::util {
namespace {

namespace fs = std::filesystem;
using Mode = LockMode;

class FileLockTest : public ::testing::Test {
 protected:
  FileLockTest()
      : dir_((fs::path(::testing::TempDir()) /
              ("cpi-lock-" + std::to_string(getpid()) + "-" + RandomHex(6)))
                 .string()) {}
  ~FileLockTest() override {
    std::error_code ignored;
    fs::remove_all(dir_, ignored);
  }

  // Whether an exclusive lock is taken while `holders` are held, polled for a while (a thread
  // that could take it does so at once; one that cannot stays blocked).
  bool ExclusiveGetsIn() {
    std::atomic<bool> got{false};
    std::thread t([&] {
      FileLock exclusive(dir_, "x");
      got = true;
    });
    for (int i = 0; i < 200 && !got; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    bool in_time = got;
    release_();
    t.join();
    return in_time;
  }

  std::string dir_;
  std::function<void()> release_ = [] {};
};

TEST_F(FileLockTest, SharedHoldersRunSideBySideAndTheLastRemovesTheFile) {
  std::optional<FileLock> a(std::in_place, dir_, "x", Mode::kShared);
  std::optional<FileLock> b(std::in_place, dir_, "x", Mode::kShared);  // does not block
  a.reset();
  EXPECT_TRUE(fs::exists(fs::path(dir_) / "x.lock")) << "removed under a shared holder";
  b.reset();
  EXPECT_TRUE(fs::is_empty(dir_));
}

TEST_F(FileLockTest, ExclusiveWaitsForEverySharedHolder) {
  std::optional<FileLock> a(std::in_place, dir_, "x", Mode::kShared);
  std::optional<FileLock> b(std::in_place, dir_, "x", Mode::kShared);
  a.reset();  // one shared holder left: still excluded
  release_ = [&] { b.reset(); };
  EXPECT_FALSE(ExclusiveGetsIn());
  EXPECT_TRUE(fs::is_empty(dir_));
}

TEST_F(FileLockTest, SharedWaitsForTheExclusiveHolder) {
  std::optional<FileLock> x(std::in_place, dir_, "x");
  std::atomic<bool> got{false};
  std::thread t([&] {
    FileLock shared(dir_, "x", Mode::kShared);
    got = true;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_FALSE(got);
  x.reset();
  t.join();
  EXPECT_TRUE(got);
  EXPECT_TRUE(fs::is_empty(dir_));
}

}  // namespace
}  // namespace cpi::util
