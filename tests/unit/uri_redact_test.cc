#include "bosh_libvirt_cpi/util/uri.h"

#include <gtest/gtest.h>

namespace cpi::util {
namespace {

TEST(RedactUriTest, HidesThePasswordOfTheUserPart) {
  EXPECT_EQ(RedactUri("qemu+ssh://bosh:s3cr%40t@10.0.0.11:2222/system?keyfile=/k"),
            "qemu+ssh://bosh:***@10.0.0.11:2222/system?keyfile=/k");
}

TEST(RedactUriTest, KeepsAUriWithoutPasswordAsItIs) {
  for (const char* uri : {"qemu:///system", "qemu+ssh://bosh@host/system?keyfile=/a:b",
                          "qemu+tls://host:16514/system", "test:///default",
                          "qemu+unix:///system?socket=/run/x@y:z"}) {
    EXPECT_EQ(RedactUri(uri), uri);
  }
}

TEST(RedactUriTest, APasswordWithAnAtSignIsHiddenWhole) {
  EXPECT_EQ(RedactUri("qemu+tcp://u:p@ss@host/system"), "qemu+tcp://u:***@host/system");
}

}  // namespace
}  // namespace cpi::util
