// Which libvirt errors are worth a retry (Bosh::Clouds::*'s ok_to_retry), for the remote
// transports' connection failures (README.md, "Reaching libvirtd from a Director").
#include "bosh_libvirt_cpi/virt/error.h"

#include <libvirt/virterror.h>

#include <gtest/gtest.h>

namespace cpi::virt {
namespace {

TEST(VirtErrorTest, SshFailuresThatARetryCannotFixAreNotTransient) {
  // What libvirt 9.0's ssh transport reports (tests/bosh/remote_ssh_test.sh sees the first).
  EXPECT_FALSE(Error("connecting: Cannot recv data: Host key for [127.0.0.1]:2222 has changed and "
                     "you have requested strict checking.\nHost key verification failed.: "
                     "Connection reset by peer",
                     VIR_ERR_SYSTEM_ERROR, VIR_FROM_RPC)
                   .transient());
  EXPECT_FALSE(Error("connecting: Cannot recv data: root@10.0.0.1: Permission denied "
                     "(publickey,password).: Connection reset by peer",
                     VIR_ERR_SYSTEM_ERROR, VIR_FROM_RPC)
                   .transient());
  // libvirt's in-process libssh client reports its host key check as an authentication failure.
  EXPECT_FALSE(Error("connecting: authentication failed: !!! SSH HOST KEY VERIFICATION FAILED !!!",
                     VIR_ERR_AUTH_FAILED, VIR_FROM_LIBSSH)
                   .transient());
}

TEST(VirtErrorTest, UnreachableHostsAndLostConnectionsAreTransient) {
  EXPECT_TRUE(Error("connecting: Cannot recv data: ssh: connect to host 10.0.0.1 port 22: "
                    "Connection refused: Connection reset by peer",
                    VIR_ERR_SYSTEM_ERROR, VIR_FROM_RPC)
                  .transient());
  EXPECT_TRUE(Error("connecting: Failed to connect socket to '/run/libvirt/libvirt-sock': No such "
                    "file or directory",
                    VIR_ERR_SYSTEM_ERROR, VIR_FROM_RPC)
                  .transient());
  // A system error outside the connection (a bridge that does not exist) is not.
  EXPECT_FALSE(Error("starting: Cannot get interface MTU on 'br9': No such device",
                     VIR_ERR_SYSTEM_ERROR, VIR_FROM_NONE)
                   .transient());
}

}  // namespace
}  // namespace cpi::virt
