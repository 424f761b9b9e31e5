#include "bosh_libvirt_cpi/vm/vm_properties.h"

#include <gtest/gtest.h>

#include "bosh_libvirt_cpi/errors.h"

namespace cpi::vm {
namespace {

using nlohmann::json;

std::string ParseError(const std::string& text) {
  try {
    ParseVmProperties(json::parse(text));
  } catch (const Error& e) {
    EXPECT_EQ(e.type(), ErrorType::kCpiError);
    return e.what();
  }
  return "";
}

TEST(VmPropertiesTest, ReadsSizesInEitherShape) {
  VmProperties p =
      ParseVmProperties(json::parse(R"({"cpu":2,"memory":512,"ephemeral_disk":{"size":1024}})"));
  EXPECT_EQ(p.cpu, 2);
  EXPECT_EQ(p.memory_mib, 512);
  EXPECT_EQ(p.ephemeral_disk_mib, 1024);
  EXPECT_EQ(ParseVmProperties(json::parse(R"({"ephemeral_disk":2048.0})")).ephemeral_disk_mib,
            2048);
}

// Issue 17: `{"ephemeral_disk":"x"}` said only "must be an integer".
TEST(VmPropertiesTest, WrongValuesAreDescribedInTheCallersTerms) {
  EXPECT_EQ(
      ParseError(R"({"ephemeral_disk":"x"})"),
      R"(cloud_properties.ephemeral_disk must be an integer number of MiB (or {"size": MiB}), got string "x")");
  EXPECT_EQ(
      ParseError(R"({"ephemeral_disk":{"size":1.5}})"),
      "cloud_properties.ephemeral_disk.size must be an integer number of MiB, got number 1.5");
  EXPECT_EQ(ParseError(R"({"cpu":true})"),
            "cloud_properties.cpu must be an integer, got boolean true");
  EXPECT_EQ(ParseError(R"({"memory":[]})"),
            "cloud_properties.memory must be an integer number of MiB, got array");
  EXPECT_EQ(ParseError(R"({"memory":8})"),
            "cloud_properties.memory 8 MiB is out of range 16..16777216");
  // 2^63 was read as -2^63.
  EXPECT_EQ(ParseError(R"({"root_disk":{"size":9223372036854775808}})"),
            "cloud_properties.root_disk.size 9223372036854775808 MiB is out of range 1..67108864");
  EXPECT_EQ(ParseError(R"({"cpu":1e300})"), "cloud_properties.cpu 1e+300 is out of range 1..1024");
}

}  // namespace
}  // namespace cpi::vm
