#include "bosh_libvirt_cpi/agent/settings.h"

#include <algorithm>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "bosh_libvirt_cpi/json/convert.h"
#include "bosh_libvirt_cpi/network/nic_plan.h"

namespace cpi::agent {
namespace {

using nlohmann::json;

// create_vm's networks as the Director builds them (manual_network.rb & co: prefix is a string).
const json kDirectorNetworks = json::parse(R"({
  "default": {"type": "manual", "ip": "10.0.0.10", "prefix": "32", "netmask": "255.255.255.0",
              "gateway": "10.0.0.1", "dns": ["10.0.0.2"], "default": ["dns", "gateway"],
              "cloud_properties": {"network": "bosh"}},
  "dyn": {"type": "dynamic", "prefix": "32", "cloud_properties": {}},
  "vip": {"type": "vip", "ip": "192.0.2.5", "prefix": "32", "cloud_properties": {}}
})");

// create_vm's networks as `bosh create-env` builds them: no prefix.
const json kCliNetworks = json::parse(R"({
  "default": {"type": "manual", "ip": "10.0.0.10", "netmask": "255.255.255.0",
              "gateway": "10.0.0.1", "dns": ["8.8.8.8"], "default": ["dns", "gateway"],
              "cloud_properties": {}}
})");

// A Director-style env, with the secrets the agent needs (contract §4 create_vm).
const json kEnv = json::parse(R"({
  "bosh": {
    "group": "mydirector-mydep-web",
    "groups": ["mydirector", "mydep", "web"],
    "tags": {"team": "x"},
    "password": "$6$salt$hash",
    "mbus": {"cert": {"ca": "-----BEGIN CERTIFICATE-----\nCA\n-----END CERTIFICATE-----\n",
                      "certificate": "-----BEGIN CERTIFICATE-----\nC\n-----END CERTIFICATE-----\n",
                      "private_key": "-----BEGIN RSA PRIVATE KEY-----\nK\n-----END RSA PRIVATE KEY-----\n"}},
    "blobstores": [{"provider": "dav", "options": {"endpoint": "https://10.0.0.6:25250",
                                                   "user": "agent", "password": "pw",
                                                   "tls": {"cert": {"ca": "PEM"}}}}],
    "ntp": ["time1.google.com"],
    "swap_size": 0,
    "parallel": 5,
    "job_dir": {"tmpfs": true, "tmpfs_size": "100m"}
  },
  "persistent_disk_fs": "ext4"
})");

config::Agent DirectorAgentConfig() {
  config::Agent agent;
  agent.mbus = "nats://10.0.0.6:4222";
  agent.ntp = {"0.pool.ntp.org", "1.pool.ntp.org"};
  agent.blobstore = {{"provider", "local"}, {"options", {{"blobstore_path", "/var/vcap/x"}}}};
  return agent;
}

std::string Joined(const std::vector<std::string>& lines) {
  std::string all;
  for (const std::string& line : lines) all += line + "\n";
  return all;
}

bool Has(const std::vector<std::string>& violations, const std::string& text) {
  return std::any_of(violations.begin(), violations.end(),
                     [&](const std::string& v) { return v.find(text) != std::string::npos; });
}

// A settings document that passes CheckSettingsTypes; tests break one thing at a time.
json ValidSettings() {
  SettingsInput in;
  in.agent_id = "agent-1";
  in.vm_cid = "vm-1";
  in.networks = network::PlanNics(kDirectorNetworks, "default", network::RandomMac).networks;
  in.env = kEnv;
  in.ephemeral_serial = "eph-1";
  return BuildSettings(in);
}

TEST(SettingsTest, DirectorVmSettingsHaveTheAgentsTypes) {
  config::Agent agent = DirectorAgentConfig();
  network::NicPlan plan = network::PlanNics(kDirectorNetworks, "default", network::RandomMac);
  SettingsInput in;
  in.agent_id = "4149ba0f-38d9-4485-476f-1581be36f290";
  in.vm_cid = "vm-7c1e0c2a";
  in.agent = &agent;
  in.networks = plan.networks;
  in.ephemeral_serial = "eph-7c1e0c2a";
  in.env = kEnv;
  json s = BuildSettings(in);

  ASSERT_TRUE(s["agent_id"].is_string());
  EXPECT_EQ(s["agent_id"], "4149ba0f-38d9-4485-476f-1581be36f290");
  ASSERT_TRUE(s["vm"].is_object());
  EXPECT_EQ(s["vm"], json({{"name", "vm-7c1e0c2a"}}));
  ASSERT_TRUE(s["mbus"].is_string());
  EXPECT_EQ(s["mbus"], "nats://10.0.0.6:4222");
  ASSERT_TRUE(s["ntp"].is_array());
  EXPECT_EQ(s["ntp"], json({"0.pool.ntp.org", "1.pool.ntp.org"}));
  for (const json& server : s["ntp"]) EXPECT_TRUE(server.is_string());
  ASSERT_TRUE(s["blobstore"].is_object());
  EXPECT_EQ(s["blobstore"], agent.blobstore);

  const json& disks = s["disks"];
  ASSERT_TRUE(disks.is_object());
  ASSERT_TRUE(disks["system"].is_string());
  EXPECT_EQ(disks["system"], "/dev/vda");
  EXPECT_EQ(disks["ephemeral"], json({{"path", "/dev/disk/by-id/virtio-eph-7c1e0c2a"}}));
  EXPECT_TRUE(disks["ephemeral"]["path"].is_string());
  EXPECT_EQ(disks["persistent"], json::object());
  ASSERT_TRUE(disks.contains("raw_ephemeral"));
  EXPECT_TRUE(disks["raw_ephemeral"].is_null());

  EXPECT_EQ(s["env"], kEnv);
  EXPECT_EQ(s["env"]["bosh"]["mbus"]["cert"]["private_key"],
            "-----BEGIN RSA PRIVATE KEY-----\nK\n-----END RSA PRIVATE KEY-----\n");

  EXPECT_EQ(Joined(CheckSettingsTypes(s)), "");
}

TEST(SettingsTest, NetworksKeepDirectorStringsAndCarryThePlansMacs) {
  network::NicPlan plan = network::PlanNics(kDirectorNetworks, "default", network::RandomMac);
  SettingsInput in;
  in.agent_id = "a";
  in.vm_cid = "vm-1";
  in.networks = plan.networks;
  const json networks = BuildSettings(in)["networks"];

  ASSERT_TRUE(networks.is_object());
  for (const char* name : {"default", "dyn", "vip"}) {
    ASSERT_TRUE(networks[name]["prefix"].is_string()) << name;
    EXPECT_EQ(networks[name]["prefix"], "32") << name;
  }
  // Manual: static configuration (use_dhcp false) on the NIC whose MAC the plan chose.
  EXPECT_TRUE(networks["default"]["use_dhcp"].is_boolean());
  EXPECT_EQ(networks["default"]["use_dhcp"], false);
  ASSERT_EQ(plan.nics.size(), 2u);
  for (const network::Nic& nic : plan.nics) {
    ASSERT_TRUE(networks[nic.bosh_network]["mac"].is_string());
    std::string mac = networks[nic.bosh_network]["mac"];
    EXPECT_EQ(mac, nic.mac);
    EXPECT_TRUE(network::IsLowercaseMac(mac)) << mac;
  }
  // Dynamic: DHCP by type, so no use_dhcp; vip: no NIC, no MAC.
  EXPECT_FALSE(networks["dyn"].contains("use_dhcp"));
  EXPECT_FALSE(networks["vip"].contains("mac"));
  EXPECT_FALSE(networks["vip"].contains("use_dhcp"));
  EXPECT_EQ(networks["vip"], kDirectorNetworks["vip"]);
  EXPECT_TRUE(networks["default"]["dns"].is_array());
  EXPECT_TRUE(networks["default"]["default"].is_array());
}

TEST(SettingsTest, CliNetworksWithoutPrefixStayWithoutPrefix) {
  network::NicPlan plan = network::PlanNics(kCliNetworks, "default", network::RandomMac);
  SettingsInput in;
  in.agent_id = "a";
  in.vm_cid = "vm-1";
  in.networks = plan.networks;
  json s = BuildSettings(in);
  EXPECT_FALSE(s["networks"]["default"].contains("prefix"));
  EXPECT_EQ(s["networks"]["default"]["use_dhcp"], false);
  EXPECT_EQ(s["networks"]["default"]["mac"], plan.nics.at(0).mac);
  EXPECT_EQ(Joined(CheckSettingsTypes(s)), "");
}

TEST(SettingsTest, SerializedSettingsParseBackWithTheSameTypes) {
  json s = ValidSettings();
  std::string text = s.dump();
  EXPECT_NE(text.find(R"("prefix":"32")"), std::string::npos);
  EXPECT_NE(text.find(R"("use_dhcp":false)"), std::string::npos);
  EXPECT_NE(text.find(R"("raw_ephemeral":null)"), std::string::npos);
  json back = json::parse(text);
  EXPECT_EQ(back, s);
  EXPECT_EQ(Joined(CheckSettingsTypes(back)), "");
}

TEST(SettingsTest, WithoutAgentConfigMbusAndBlobstoreAreAbsentAndNtpEmpty) {
  SettingsInput in;
  in.agent_id = "a";
  in.vm_cid = "vm-1";
  json s = BuildSettings(in);
  EXPECT_FALSE(s.contains("mbus"));
  EXPECT_FALSE(s.contains("blobstore"));
  EXPECT_EQ(s["ntp"], json::array());
  EXPECT_EQ(s["networks"], json::object());
  EXPECT_EQ(s["env"], json::object());

  config::Agent empty;  // what config::Load gives when the file has no agent section
  in.agent = &empty;
  s = BuildSettings(in);
  EXPECT_FALSE(s.contains("mbus"));
  EXPECT_FALSE(s.contains("blobstore"));
  EXPECT_EQ(s["ntp"], json::array());
  EXPECT_EQ(Joined(CheckSettingsTypes(s)), "");
}

TEST(SettingsTest, WithoutEphemeralDiskEphemeralIsNull) {
  SettingsInput in;
  in.agent_id = "a";
  in.vm_cid = "vm-1";
  json s = BuildSettings(in);
  ASSERT_TRUE(s["disks"].contains("ephemeral"));
  EXPECT_TRUE(s["disks"]["ephemeral"].is_null());
}

TEST(SettingsTest, EmptySystemDiskIsNullNotEmptyString) {
  SettingsInput in;
  in.agent_id = "a";
  in.vm_cid = "vm-1";
  in.system_disk = "";
  json s = BuildSettings(in);
  ASSERT_TRUE(s["disks"].contains("system"));
  EXPECT_TRUE(s["disks"]["system"].is_null());
}

TEST(SettingsTest, NullEnvBecomesEmptyObjectAndOtherEnvIsCopiedVerbatim) {
  SettingsInput in;
  in.agent_id = "a";
  in.vm_cid = "vm-1";
  in.env = nullptr;
  EXPECT_EQ(BuildSettings(in)["env"], json::object());

  // Keys the agent does not know travel too: the agent ignores them, the CPI must not drop them.
  in.env = {{"bosh", {{"unknown_future_key", {1, 2, 3}}}}, {"custom", "x"}};
  EXPECT_EQ(BuildSettings(in)["env"], in.env);
}

TEST(SettingsTest, PersistentHintsOfV1StemcellsAreCopied) {
  SettingsInput in;
  in.agent_id = "a";
  in.vm_cid = "vm-1";
  in.persistent = {{"disk-0123456789abcdef", {{"path", VirtioDiskPath("disk-0123456789abcdef")}}}};
  json s = BuildSettings(in);
  EXPECT_EQ(s["disks"]["persistent"], in.persistent);
  EXPECT_EQ(Joined(CheckSettingsTypes(s)), "");
}

TEST(SettingsTest, VirtioDiskPathUsesTheFirst20BytesOfTheSerial) {
  EXPECT_EQ(VirtioDiskPath("eph-1"), "/dev/disk/by-id/virtio-eph-1");
  EXPECT_EQ(VirtioDiskPath("0123456789abcdefghijKLMN"),
            "/dev/disk/by-id/virtio-0123456789abcdefghij");
}

TEST(SettingsTest, MetaDataHasInstanceIdAndNoKeys) {
  json m = BuildMetaData("vm-1");
  EXPECT_EQ(m, json::parse(R"({"instance-id":"vm-1","public-keys":{}})"));
  EXPECT_TRUE(m["public-keys"].is_object());
}

TEST(SettingsTest, CheckCatchesNumericPrefix) {
  json s = ValidSettings();
  s["networks"]["default"]["prefix"] = 24;
  auto v = CheckSettingsTypes(s);
  ASSERT_EQ(v.size(), 1u) << Joined(v);
  EXPECT_EQ(v[0], "networks.default.prefix must be a string, not a number");
}

TEST(SettingsTest, CheckCatchesNumericLunInPersistentAndEphemeralHints) {
  json s = ValidSettings();
  s["disks"]["persistent"] = {{"disk-1", {{"path", "/dev/vdc"}, {"lun", 0}}}};
  s["disks"]["ephemeral"] = {{"lun", 1}};
  auto v = CheckSettingsTypes(s);
  EXPECT_TRUE(Has(v, "disks.persistent.disk-1.lun must be a string, not a number")) << Joined(v);
  EXPECT_TRUE(Has(v, "disks.ephemeral.lun must be a string, not a number")) << Joined(v);
  EXPECT_EQ(v.size(), 2u) << Joined(v);
}

TEST(SettingsTest, CheckCatchesNullHintValueAndWrongHintShapes) {
  json s = ValidSettings();
  s["disks"]["persistent"] = {{"a", {{"path", nullptr}}},
                              {"b", 7},
                              {"c", "/dev/vdc"},
                              {"d", {{"iscsi_settings", {{"password", 1}}}}}};
  auto v = CheckSettingsTypes(s);
  EXPECT_TRUE(Has(v, "disks.persistent.a.path must be a string, not null")) << Joined(v);
  EXPECT_TRUE(Has(v, "disks.persistent.b must be a string or an object")) << Joined(v);
  EXPECT_TRUE(Has(v, "disks.persistent.d.iscsi_settings.password must be a string")) << Joined(v);
  EXPECT_EQ(v.size(), 3u) << Joined(v);
}

TEST(SettingsTest, CheckCatchesSystemDiskObject) {
  json s = ValidSettings();
  s["disks"]["system"] = {{"path", "/dev/vda"}};
  auto v = CheckSettingsTypes(s);
  ASSERT_EQ(v.size(), 1u) << Joined(v);
  EXPECT_EQ(v[0], "disks.system must be a string, not an object");
}

TEST(SettingsTest, CheckCatchesWrongTypesAcrossTheDocument) {
  json s = ValidSettings();
  s["ntp"] = "pool.ntp.org";
  s["mbus"] = json::object();
  s["vm"] = {{"name", 5}};
  s["networks"]["default"]["use_dhcp"] = "false";
  s["networks"]["default"]["dns"] = "10.0.0.2";
  s["networks"]["default"]["routes"] =
      json::array({json::object({{"destination", "10.1.0.0"}, {"gateway", 1}})});
  s["networks"]["dyn"]["mac"] = "52:54:00:AA:BB:CC";
  s["env"]["bosh"]["swap_size"] = "1024";
  s["env"]["bosh"]["parallel"] = 1.5;
  s["env"]["bosh"]["mbus"]["cert"]["ca"] = 1;
  s["env"]["bosh"]["job_dir"]["tmpfs"] = "yes";
  s["env"]["persistent_disk_mount_options"] = json::array({"noatime", 3});
  s["blobstore"] = {{"provider", "local"}, {"options", "x"}};
  auto v = CheckSettingsTypes(s);
  for (const char* want : {
           "ntp must be an array of strings, not a string",
           "mbus must be a string, not an object",
           "vm.name must be a string, not a number",
           "networks.default.use_dhcp must be a boolean, not a string",
           "networks.default.dns must be an array of strings, not a string",
           "networks.default.routes[0].gateway must be a string, not a number",
           "networks.dyn.mac must be a lowercase MAC address",
           "env.bosh.swap_size must be a non-negative integer, not a string",
           "env.bosh.parallel must be an integer, not a fractional number",
           "env.bosh.mbus.cert.ca must be a string, not a number",
           "env.bosh.job_dir.tmpfs must be a boolean, not a string",
           "env.persistent_disk_mount_options[1] must be a string, not a number",
           "blobstore.options must be an object, not a string",
       }) {
    EXPECT_TRUE(Has(v, want)) << "missing: " << want << "\n" << Joined(v);
  }
  EXPECT_EQ(v.size(), 13u) << Joined(v);
}

TEST(SettingsTest, CheckCatchesNegativeSwapSize) {
  json s = ValidSettings();
  s["env"]["bosh"]["swap_size"] = -1;
  EXPECT_TRUE(Has(CheckSettingsTypes(s), "env.bosh.swap_size must be a non-negative integer"));
}

TEST(SettingsTest, CheckAcceptsSwapSizeAsARequestCarriesIt) {
  // bosh create-env sends `"swap_size": 0`; parsed like a request, it is a signed integer.
  simdjson::dom::parser parser;
  simdjson::padded_string text(std::string_view(R"({"bosh": {"swap_size": 0}})"));
  json s = ValidSettings();
  s["env"] = cpi::json::ToJson(parser.parse(text).value());
  ASSERT_FALSE(s["env"]["bosh"]["swap_size"].is_number_unsigned());
  EXPECT_EQ(Joined(CheckSettingsTypes(s)), "");
}

TEST(SettingsTest, CheckMatchesKeysCaseInsensitivelyLikeGo) {
  json s = ValidSettings();
  s["networks"]["default"]["Prefix"] = 24;
  s["ENV"] = {{"Bosh", {{"PASSWORD", 5}}}};
  auto v = CheckSettingsTypes(s);
  EXPECT_TRUE(Has(v, "networks.default.Prefix must be a string")) << Joined(v);
  EXPECT_TRUE(Has(v, "ENV.Bosh.PASSWORD must be a string")) << Joined(v);
}

TEST(SettingsTest, CheckIgnoresUnknownKeysAndAcceptsNulls) {
  json s = ValidSettings();
  s["registry"] = {{"endpoint", 5}};
  s["networks"]["default"]["cloud_properties"] = {{"anything", 1}};
  s["networks"]["default"]["nic_group"] = "1";
  s["networks"]["default"]["gateway"] = nullptr;
  s["env"]["bosh"]["password"] = nullptr;
  s["disks"]["ephemeral"] = "/dev/vdb";
  EXPECT_EQ(Joined(CheckSettingsTypes(s)), "");
}

TEST(SettingsTest, CheckRequiresAnAgentIdAndAnObject) {
  json s = ValidSettings();
  s["agent_id"] = "";
  EXPECT_TRUE(Has(CheckSettingsTypes(s), "agent_id must be a non-empty string"));
  s.erase("agent_id");
  EXPECT_TRUE(Has(CheckSettingsTypes(s), "agent_id is missing"));
  EXPECT_EQ(Joined(CheckSettingsTypes(json::array())),
            "settings must be an object, not an array\n");
}

TEST(SettingsTest, ViolationsNeverQuoteValues) {
  json s = ValidSettings();
  s["env"]["bosh"]["mbus"]["urls"] = "nats://user:s3cr3t@10.0.0.6:4222";
  s["env"]["bosh"]["password"] = {{"s3cr3t", "s3cr3t"}};
  s["env"]["bosh"]["mbus"]["cert"]["private_key"] = json::array({"s3cr3t"});
  auto v = CheckSettingsTypes(s);
  EXPECT_EQ(v.size(), 3u) << Joined(v);
  EXPECT_EQ(Joined(v).find("s3cr3t"), std::string::npos) << Joined(v);
}

}  // namespace
}  // namespace cpi::agent
