#include "bosh_libvirt_cpi/network/nic_plan.h"

#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "bosh_libvirt_cpi/errors.h"

namespace cpi::network {
namespace {

using nlohmann::json;

// Hands out 52:54:00:00:00:01, :02, ... and records how often it was asked.
struct CountingMacs {
  int calls = 0;
  std::string operator()() {
    ++calls;
    char text[18];
    std::snprintf(text, sizeof text, "52:54:00:00:00:%02x", calls);
    return text;
  }
};

NicPlan Plan(const json& networks, CountingMacs& macs) {
  return PlanNics(networks, "default", std::ref(macs));
}

NicPlan Plan(const json& networks) {
  CountingMacs macs;
  return Plan(networks, macs);
}

// The message of the CpiError PlanNics throws, or "" when it does not throw.
std::string PlanError(const json& networks) {
  try {
    Plan(networks);
  } catch (const Error& e) {
    EXPECT_EQ(e.type(), ErrorType::kCpiError) << e.what();
    return e.what();
  }
  return "";
}

const json kDirectorManual = json::parse(R"({
  "type": "manual", "ip": "10.0.0.10", "prefix": "32", "netmask": "255.255.255.0",
  "gateway": "10.0.0.1", "dns": ["10.0.0.2"], "default": ["dns", "gateway"],
  "cloud_properties": {"network": "bosh"}})");

TEST(NicPlanTest, DirectorManualNetworkGetsOneNicAndStaticSettings) {
  NicPlan plan = Plan({{"default", kDirectorManual}});

  ASSERT_EQ(plan.nics.size(), 1u);
  EXPECT_EQ(plan.nics[0].bosh_network, "default");
  EXPECT_EQ(plan.nics[0].mac, "52:54:00:00:00:01");
  EXPECT_EQ(plan.nics[0].libvirt_network, "bosh");
  EXPECT_EQ(plan.nics[0].bridge, "");

  json expected = kDirectorManual;
  expected["mac"] = "52:54:00:00:00:01";
  expected["use_dhcp"] = false;
  EXPECT_EQ(plan.networks, json({{"default", expected}}));
  EXPECT_TRUE(plan.networks["default"]["use_dhcp"].is_boolean());
  EXPECT_TRUE(plan.networks["default"]["prefix"].is_string());
}

TEST(NicPlanTest, NetworkWithoutCloudNetworkJoinsTheDefaultLibvirtNetwork) {
  CountingMacs macs;
  NicPlan plan = PlanNics(
      {{"private", {{"type", "manual"}, {"ip", "10.0.0.5"}, {"cloud_properties", json::object()}}},
       {"cli", {{"type", "manual"}, {"ip", "10.0.0.6"}}}},
      "bosh-net", std::ref(macs));
  ASSERT_EQ(plan.nics.size(), 2u);
  EXPECT_EQ(plan.nics[0].libvirt_network, "bosh-net");
  EXPECT_EQ(plan.nics[1].libvirt_network, "bosh-net");
}

TEST(NicPlanTest, BridgeInCloudPropertiesJoinsTheHostBridge) {
  NicPlan plan =
      Plan({{"lan", {{"ip", "192.168.1.9"}, {"cloud_properties", {{"bridge", "br0"}}}}}});
  ASSERT_EQ(plan.nics.size(), 1u);
  EXPECT_EQ(plan.nics[0].bridge, "br0");
  EXPECT_EQ(plan.nics[0].libvirt_network, "");
}

TEST(NicPlanTest, TypeDefaultsToManual) {
  NicPlan plan = Plan({{"n", {{"ip", "10.0.0.5"}}}});
  ASSERT_EQ(plan.nics.size(), 1u);
  EXPECT_EQ(plan.networks["n"]["use_dhcp"], false);
  EXPECT_FALSE(plan.networks["n"].contains("type"));
}

TEST(NicPlanTest, VipNetworkGetsNoNicAndStaysUnchanged) {
  json vip = {{"type", "vip"}, {"ip", "192.0.2.5"}, {"prefix", "32"}, {"cloud_properties", {}}};
  CountingMacs macs;
  NicPlan plan = Plan({{"default", kDirectorManual}, {"vip", vip}}, macs);
  ASSERT_EQ(plan.nics.size(), 1u);
  EXPECT_EQ(plan.nics[0].bosh_network, "default");
  EXPECT_EQ(plan.networks["vip"], vip);
  EXPECT_EQ(macs.calls, 1);
}

TEST(NicPlanTest, DynamicNetworkGetsMacButNoUseDhcp) {
  json dynamic = {{"type", "dynamic"}, {"cloud_properties", {{"use_dhcp", false}}}};
  NicPlan plan = Plan({{"dyn", dynamic}});
  ASSERT_EQ(plan.nics.size(), 1u);
  json expected = dynamic;
  expected["mac"] = plan.nics[0].mac;
  EXPECT_EQ(plan.networks["dyn"], expected);
}

TEST(NicPlanTest, CloudPropertiesUseDhcpTrueKeepsDhcpOnManualNetwork) {
  NicPlan plan = Plan(
      {{"a", {{"ip", "10.0.0.5"}, {"cloud_properties", {{"use_dhcp", true}}}}},
       {"b", {{"ip", "10.0.0.6"}, {"use_dhcp", true}}},
       {"c",
        {{"ip", "10.0.0.7"}, {"use_dhcp", true}, {"cloud_properties", {{"use_dhcp", false}}}}}});
  EXPECT_EQ(plan.networks["a"]["use_dhcp"], true);
  EXPECT_EQ(plan.networks["b"]["use_dhcp"], true);   // the caller's own value stays
  EXPECT_EQ(plan.networks["c"]["use_dhcp"], false);  // cloud_properties win
}

TEST(NicPlanTest, NicsAndMacsFollowNetworkNames) {
  NicPlan plan = Plan({{"zeta", {{"ip", "10.0.2.5"}}},
                       {"alpha", {{"ip", "10.0.0.5"}}},
                       {"mid", {{"type", "dynamic"}}}});
  std::vector<std::string> names;
  for (const Nic& nic : plan.nics) names.push_back(nic.bosh_network);
  EXPECT_EQ(names, (std::vector<std::string>{"alpha", "mid", "zeta"}));
  EXPECT_EQ(plan.nics[0].mac, "52:54:00:00:00:01");
  EXPECT_EQ(plan.nics[2].mac, "52:54:00:00:00:03");
  for (const Nic& nic : plan.nics) EXPECT_EQ(plan.networks[nic.bosh_network]["mac"], nic.mac);
}

TEST(NicPlanTest, GeneratedMacIsWrittenLowercase) {
  NicPlan plan = PlanNics({{"n", {{"ip", "10.0.0.5"}}}}, "default",
                          [] { return std::string("52:54:00:AB:CD:EF"); });
  EXPECT_EQ(plan.nics[0].mac, "52:54:00:ab:cd:ef");
  EXPECT_EQ(plan.networks["n"]["mac"], "52:54:00:ab:cd:ef");
}

TEST(NicPlanTest, GeneratorThatRepeatsOrReturnsGarbageIsACloudError) {
  json two = {{"a", {{"ip", "10.0.0.5"}}}, {"b", {{"ip", "10.0.0.6"}}}};
  try {
    PlanNics(two, "default", [] { return std::string("52:54:00:00:00:01"); });
    FAIL() << "duplicate MAC accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.type(), ErrorType::kCloudError);
  }
  EXPECT_THROW(PlanNics(two, "default", [] { return std::string("not-a-mac"); }), Error);
}

TEST(NicPlanTest, NetworksInOneNicGroupShareOneNic) {
  CountingMacs macs;
  NicPlan plan = Plan(
      {{"a", {{"ip", "10.0.0.5"}, {"nic_group", "1"}, {"cloud_properties", {{"network", "n1"}}}}},
       {"b", {{"ip", "10.1.0.5"}, {"nic_group", "1"}, {"cloud_properties", {{"network", "n1"}}}}},
       {"c", {{"ip", "10.2.0.5"}, {"nic_group", 2}, {"cloud_properties", {{"network", "n2"}}}}},
       {"v", {{"type", "vip"}, {"ip", "192.0.2.1"}, {"nic_group", "1"}}}},
      macs);
  ASSERT_EQ(plan.nics.size(), 2u);
  EXPECT_EQ(plan.nics[0].bosh_network, "a");
  EXPECT_EQ(plan.nics[1].bosh_network, "c");
  EXPECT_EQ(plan.networks["a"]["mac"], plan.networks["b"]["mac"]);
  EXPECT_NE(plan.networks["a"]["mac"], plan.networks["c"]["mac"]);
  EXPECT_FALSE(plan.networks["v"].contains("mac"));
  EXPECT_EQ(plan.networks["b"]["use_dhcp"], false);
  EXPECT_EQ(macs.calls, 2);
}

TEST(NicPlanTest, NicGroupOnDifferentLibvirtNetworksIsRejected) {
  std::string error = PlanError(
      {{"a", {{"ip", "10.0.0.5"}, {"nic_group", "1"}, {"cloud_properties", {{"network", "n1"}}}}},
       {"b", {{"ip", "10.1.0.5"}, {"nic_group", "1"}, {"cloud_properties", {{"bridge", "br0"}}}}}});
  EXPECT_NE(error.find("network 'b': nic_group '1'"), std::string::npos) << error;
}

TEST(NicPlanTest, EmptyNetworksGiveNoNics) {
  NicPlan plan = Plan(json::object());
  EXPECT_TRUE(plan.nics.empty());
  EXPECT_EQ(plan.networks, json::object());
}

TEST(NicPlanTest, AcceptsNamesOfAllowedCharactersUpTo64) {
  std::string name(64, 'a');
  std::string odd = "Net_1.a:b-c";
  NicPlan plan = Plan({{name, {{"ip", "10.0.0.5"}, {"cloud_properties", {{"network", odd}}}}}});
  EXPECT_EQ(plan.nics[0].bosh_network, name);
  EXPECT_EQ(plan.nics[0].libvirt_network, odd);
}

TEST(NicPlanTest, BadInputIsACpiErrorNamingNetworkAndKey) {
  struct Case {
    json networks;
    std::string message;
  };
  const std::vector<Case> cases = {
      {json::array(), "networks must be an object"},
      {{{"default", "manual"}}, "network 'default': must be an object"},
      {{{"default", {{"type", "floating"}, {"ip", "1.2.3.4"}}}},
       "network 'default': type 'floating' is not one of"},
      {{{"default", {{"type", 1}}}}, "network 'default': type must be a string"},
      {{{"default", {{"type", "manual"}}}}, "network 'default': ip is missing"},
      {{{"default", json::object()}}, "network 'default': ip is missing"},
      {{{"default", {{"ip", 10}}}}, "network 'default': ip must be a string"},
      {{{"default", {{"ip", "1.2.3.4"}, {"cloud_properties", "bosh"}}}},
       "network 'default': cloud_properties must be an object"},
      {{{"default", {{"ip", "1.2.3.4"}, {"cloud_properties", {{"network", 5}}}}}},
       "network 'default': cloud_properties.network must be a string"},
      {{{"default", {{"ip", "1.2.3.4"}, {"cloud_properties", {{"bridge", true}}}}}},
       "network 'default': cloud_properties.bridge must be a string"},
      {{{"default",
         {{"ip", "1.2.3.4"}, {"cloud_properties", {{"network", "a"}, {"bridge", "br0"}}}}}},
       "network 'default': cloud_properties.network and cloud_properties.bridge are exclusive"},
      {{{"default", {{"ip", "1.2.3.4"}, {"cloud_properties", {{"network", "a b"}}}}}},
       "network 'default': cloud_properties.network 'a b' must be 1 to 64 characters"},
      {{{"default", {{"ip", "1.2.3.4"}, {"cloud_properties", {{"bridge", "../br"}}}}}},
       "network 'default': cloud_properties.bridge '../br' must be"},
      {{{"default", {{"ip", "1.2.3.4"}, {"cloud_properties", {{"network", "x'/><a"}}}}}},
       "network 'default': cloud_properties.network"},
      {{{"default",
         {{"ip", "1.2.3.4"}, {"cloud_properties", {{"network", std::string(65, 'n')}}}}}},
       "network 'default': cloud_properties.network"},
      {{{"my net", {{"ip", "1.2.3.4"}}}}, "network 'my net': the name must be"},
      {{{std::string(65, 'a'), {{"ip", "1.2.3.4"}}}}, "the name must be 1 to 64 characters"},
      {{{"", {{"ip", "1.2.3.4"}}}}, "network '': the name must be"},
      {{{"default", {{"ip", "1.2.3.4"}, {"use_dhcp", "false"}}}},
       "network 'default': use_dhcp must be a boolean"},
      {{{"default", {{"ip", "1.2.3.4"}, {"cloud_properties", {{"use_dhcp", 0}}}}}},
       "network 'default': cloud_properties.use_dhcp must be a boolean"},
      {{{"default", {{"ip", "1.2.3.4"}, {"nic_group", true}}}},
       "network 'default': nic_group must be a string or an integer"},
  };
  for (const Case& c : cases) {
    std::string error = PlanError(c.networks);
    EXPECT_NE(error.find(c.message), std::string::npos)
        << "input " << c.networks.dump() << "\n got '" << error << "'\n want '" << c.message << "'";
  }
}

TEST(NicPlanTest, BadDefaultLibvirtNetworkIsNamed) {
  try {
    PlanNics({{"n", {{"ip", "10.0.0.5"}}}}, "bad name", [] { return RandomMac(); });
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("config libvirt.network"), std::string::npos) << e.what();
  }
}

TEST(NicPlanTest, RandomMacIsLowercaseQemuPrefixAndVaries) {
  std::set<std::string> seen;
  for (int i = 0; i < 32; ++i) {
    std::string mac = RandomMac();
    EXPECT_TRUE(IsLowercaseMac(mac)) << mac;
    EXPECT_EQ(mac.substr(0, 9), "52:54:00:") << mac;
    seen.insert(mac);
  }
  // 24 random bits: three repeats among 32 draws would be a broken source, not bad luck.
  EXPECT_GE(seen.size(), 30u);
}

TEST(NicPlanTest, IsLowercaseMacRejectsOtherShapes) {
  EXPECT_TRUE(IsLowercaseMac("52:54:00:0a:bc:ff"));
  EXPECT_FALSE(IsLowercaseMac("52:54:00:0A:bc:ff"));
  EXPECT_FALSE(IsLowercaseMac("52-54-00-0a-bc-ff"));
  EXPECT_FALSE(IsLowercaseMac("52:54:00:0a:bc"));
  EXPECT_FALSE(IsLowercaseMac("52:54:00:0a:bc:fg"));
  EXPECT_FALSE(IsLowercaseMac(""));
}

}  // namespace
}  // namespace cpi::network
