// The real libvirtd the suites run against, and the private world each suite builds on it.
#include <gtest/gtest.h>

#include "bosh_libvirt_cpi/virt/connection.h"
#include "bosh_libvirt_cpi/virt/error.h"
#include "support/libvirt_world.h"

namespace cpi::testing {
namespace {

TEST(LibvirtConnectionTest, OpensSystemDaemonAndReportsVersions) {
  ASSERT_TRUE(LibvirtAvailable()) << "libvirtd is not running; run scripts/setup.sh";
  virt::RawConnection conn = virt::RawConnection::Open("qemu:///system");
  EXPECT_EQ(conn.LibraryVersion().substr(0, 2), "9.");
  EXPECT_FALSE(conn.HypervisorVersion().empty());
}

TEST(LibvirtConnectionTest, UnknownObjectsAreNotFoundNotErrors) {
  virt::RawConnection conn = virt::RawConnection::Open("qemu:///system");
  EXPECT_FALSE(conn.FindDomain("vm-does-not-exist-0000").has_value());
  EXPECT_FALSE(conn.FindStoragePool("pool-does-not-exist-0000").has_value());
  EXPECT_FALSE(conn.FindNetwork("net-does-not-exist-0000").has_value());
}

TEST(LibvirtConnectionTest, BadUriRaisesErrorWithCode) {
  try {
    virt::RawConnection::Open("qemu+unix:///system?socket=/nonexistent/sock");
    FAIL() << "expected virt::Error";
  } catch (const virt::Error& e) {
    EXPECT_NE(e.code(), 0);
    EXPECT_TRUE(e.transient());
    EXPECT_NE(std::string(e.what()).find("/nonexistent/sock"), std::string::npos);
  }
}

TEST(LibvirtWorldTest, CreatesAndRemovesItsOwnPoolAndNetwork) {
  std::string pool, network;
  {
    LibvirtWorld world("world");
    pool = world.pool();
    network = world.network();
    EXPECT_TRUE(world.conn().FindStoragePool(pool).has_value());
    EXPECT_TRUE(world.conn().FindNetwork(network).has_value());
    EXPECT_TRUE(world.Volumes().empty());
  }
  virt::RawConnection conn = virt::RawConnection::Open("qemu:///system");
  EXPECT_FALSE(conn.FindStoragePool(pool).has_value());
  EXPECT_FALSE(conn.FindNetwork(network).has_value());
}

}  // namespace
}  // namespace cpi::testing
