#include "bosh_libvirt_cpi/rpc/dispatcher.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "bosh_libvirt_cpi/cpi.h"
#include "bosh_libvirt_cpi/rpc/methods.h"

namespace cpi::rpc {
namespace {

using nlohmann::json;

json Call(const std::string& request, Options options = {}) {
  options.run = &RunMethod;
  return json::parse(Handle(request, options));
}

void ExpectErrorShape(const json& r, const std::string& type) {
  ASSERT_TRUE(r.is_object());
  EXPECT_EQ(r.size(), 3u);
  EXPECT_TRUE(r["result"].is_null());
  EXPECT_TRUE(r["log"].is_string());
  ASSERT_TRUE(r["error"].is_object());
  EXPECT_EQ(r["error"].size(), 3u);
  EXPECT_EQ(r["error"]["type"], type);
  EXPECT_TRUE(r["error"]["message"].is_string());
  EXPECT_TRUE(r["error"]["ok_to_retry"].is_boolean());
}

TEST(DispatcherTest, InfoAnswersApiVersionTwoAndFormats) {
  json r = Call(R"({"method":"info","arguments":[]})");
  EXPECT_EQ(r["error"], nullptr);
  EXPECT_EQ(r["log"], "");
  EXPECT_EQ(r["result"]["api_version"], 2);
  EXPECT_EQ(r["result"]["stemcell_formats"], json({"openstack-qcow2", "openstack-raw"}));
}

TEST(DispatcherTest, InfoNeedsNoConfigFile) {
  Options o;
  o.config_path = "/nonexistent/cpi.json";
  json r = Call(R"({"method":"info","arguments":[]})", o);
  EXPECT_EQ(r["error"], nullptr);
}

TEST(DispatcherTest, UnknownMethodIsNotImplemented) {
  json r = Call(R"({"method":"frobnicate","arguments":[]})");
  ExpectErrorShape(r, "Bosh::Clouds::NotImplemented");
  EXPECT_EQ(r["error"]["message"], "Method is not known, got: 'frobnicate'");
}

TEST(DispatcherTest, MalformedRequestIsCpiError) {
  for (const char* bad :
       {"", "nope", "[]", R"({"method":1,"arguments":[]})", R"({"method":"info","arguments":5})"}) {
    SCOPED_TRACE(bad);
    ExpectErrorShape(Call(bad), "Bosh::Clouds::CpiError");
  }
}

TEST(DispatcherTest, WrongArgumentTypeIsNamedBeforeAnythingHappens) {
  json r = Call(R"({"method":"delete_vm","arguments":[42]})");
  ExpectErrorShape(r, "Bosh::Clouds::CpiError");
  EXPECT_EQ(
      r["error"]["message"],
      "Invalid arguments for 'delete_vm': argument 1 (vm_cid) must be a string, got integer 42");
}

// Issue 17: "must be an integer, got integer" for 2^63, "invalid JSON" for 2^64.
TEST(DispatcherTest, NumbersOutOfRangeAreNamedInTheCallersTerms) {
  for (const auto& [size, message] : std::vector<std::pair<std::string, std::string>>{
           {"9223372036854775808", "size 9223372036854775808 MiB is out of range 1..67108864"},
           {"18446744073709551616", "size 18446744073709551616 MiB is out of range 1..67108864"},
           {"99999999999999999999999", "size 99999999999999999999999 MiB is out of range"},
           {"0", "size 0 MiB is out of range 1..67108864"},
           {"-1", "size -1 MiB is out of range 1..67108864"},
           {"1e30", "size 1e+30 MiB is out of range 1..67108864"},
           {"1.5", "argument 1 (size) must be an integer, got number 1.5"},
           {"\"x\"", "argument 1 (size) must be an integer, got string"}}) {
    SCOPED_TRACE(size);
    json r = Call(R"({"method":"create_disk","arguments":[)" + size + R"(,{},null]})");
    ExpectErrorShape(r, "Bosh::Clouds::CpiError");
    std::string got = r["error"]["message"];
    EXPECT_EQ(got.rfind("Invalid arguments for 'create_disk': ", 0), 0u) << got;
    EXPECT_NE(got.find(message), std::string::npos) << got;
  }
  json r = Call(R"({"method":"resize_disk","arguments":["disk-1",18446744073709551616]})");
  EXPECT_EQ(
      r["error"]["message"],
      "Invalid arguments for 'resize_disk': new_size 18446744073709551616 MiB is out of range "
      "1..67108864");
}

TEST(DispatcherTest, WrongArgumentCountIsNamed) {
  json r = Call(R"({"method":"attach_disk","arguments":["vm-1"]})");
  ExpectErrorShape(r, "Bosh::Clouds::CpiError");
  EXPECT_NE(r["error"]["message"].get<std::string>().find(
                "expected 2 argument(s) (vm_cid, disk_cid), got 1"),
            std::string::npos);
}

TEST(DispatcherTest, MissingConfigFileIsCpiErrorForHypervisorMethods) {
  Options o;
  o.config_path = "/nonexistent/cpi.json";
  json r = Call(R"({"method":"has_vm","arguments":["vm-x"]})", o);
  ExpectErrorShape(r, "Bosh::Clouds::CpiError");
  EXPECT_NE(r["error"]["message"].get<std::string>().find("/nonexistent/cpi.json"),
            std::string::npos);
}

TEST(DispatcherTest, ConfigureNetworksIsNotSupported) {
  json r = Call(R"({"method":"configure_networks","arguments":["vm-1",{}]})");
  ExpectErrorShape(r, "Bosh::Clouds::NotSupported");
}

TEST(DispatcherTest, CalculateVmCloudPropertiesMapsResources) {
  json r = Call(
      R"({"method":"calculate_vm_cloud_properties","arguments":[{"cpu":2,"ram":4096,"ephemeral_disk_size":10240}]})");
  EXPECT_EQ(r["result"], json::parse(R"({"cpu":2,"memory":4096,"ephemeral_disk":{"size":10240}})"));
}

TEST(DispatcherTest, CalculateVmCloudPropertiesRejectsImpossibleValues) {
  ExpectErrorShape(
      Call(
          R"({"method":"calculate_vm_cloud_properties","arguments":[{"cpu":0,"ram":1,"ephemeral_disk_size":1}]})"),
      "Bosh::Clouds::CloudError");
  ExpectErrorShape(
      Call(
          R"({"method":"calculate_vm_cloud_properties","arguments":[{"cpu":1,"ram":"big","ephemeral_disk_size":1}]})"),
      "Bosh::Clouds::CloudError");
}

TEST(DispatcherTest, TableHasEveryContractMethod) {
  for (const char* name : {"info",
                           "create_stemcell",
                           "delete_stemcell",
                           "create_vm",
                           "delete_vm",
                           "has_vm",
                           "reboot_vm",
                           "set_vm_metadata",
                           "configure_networks",
                           "calculate_vm_cloud_properties",
                           "current_vm_id",
                           "create_disk",
                           "delete_disk",
                           "has_disk",
                           "attach_disk",
                           "detach_disk",
                           "resize_disk",
                           "update_disk",
                           "set_disk_metadata",
                           "get_disks",
                           "snapshot_disk",
                           "delete_snapshot"}) {
    EXPECT_NE(FindMethod(name), nullptr) << name;
  }
}

TEST(DispatcherTest, InvalidUtf8InMethodStillGivesValidJson) {
  std::string bad = "{\"method\":\"\xff\xfe\",\"arguments\":[]}";
  std::string out = Handle(bad, {});
  EXPECT_NO_THROW(json::parse(out));
}

}  // namespace
}  // namespace cpi::rpc
