#include "bosh_libvirt_cpi/network/address.h"

#include <arpa/inet.h>

#include <gtest/gtest.h>

#include "bosh_libvirt_cpi/errors.h"

namespace cpi::network {
namespace {

using nlohmann::json;

std::string CheckError(const json& spec) {
  try {
    CheckStaticAddress("private", spec);
  } catch (const Error& e) {
    EXPECT_EQ(e.type(), ErrorType::kCpiError);
    return e.what();
  }
  return "";
}

json Spec(const std::string& ip, const std::string& netmask, const std::string& gateway) {
  return {{"ip", ip}, {"netmask", netmask}, {"gateway", gateway}};
}

TEST(AddressTest, ParsesIpv4AndIpv6Only) {
  EXPECT_EQ(ParseAddress("10.0.0.5")->family, AF_INET);
  EXPECT_EQ(ParseAddress("fd00::5")->family, AF_INET6);
  EXPECT_FALSE(ParseAddress("not-an-ip"));
  EXPECT_FALSE(ParseAddress("10.0.0.300"));
  EXPECT_FALSE(ParseAddress("10.0.0"));
  EXPECT_FALSE(ParseAddress(""));
  EXPECT_FALSE(ParseAddress(std::string("10.0.0.1\0x", 10)));
}

TEST(AddressTest, NetmaskPrefixNeedsContiguousOnes) {
  EXPECT_EQ(PrefixOfNetmask(*ParseAddress("255.255.255.0")), 24);
  EXPECT_EQ(PrefixOfNetmask(*ParseAddress("255.255.254.0")), 23);
  EXPECT_EQ(PrefixOfNetmask(*ParseAddress("0.0.0.0")), 0);
  EXPECT_EQ(PrefixOfNetmask(*ParseAddress("ffff:ffff:ffff:ffff::")), 64);
  EXPECT_FALSE(PrefixOfNetmask(*ParseAddress("255.0.255.0")));
  EXPECT_FALSE(PrefixOfNetmask(*ParseAddress("255.255.255.1")));
}

TEST(AddressTest, SubnetContainsItsAddressesOnly) {
  Subnet s = SubnetOf(*ParseAddress("10.1.2.77"), 24);
  EXPECT_EQ(s.ToString(), "10.1.2.0/24");
  EXPECT_TRUE(s.Contains(*ParseAddress("10.1.2.1")));
  EXPECT_FALSE(s.Contains(*ParseAddress("10.1.3.1")));
  EXPECT_FALSE(s.Contains(*ParseAddress("::1")));
  EXPECT_EQ(SubnetOf(*ParseAddress("10.1.2.77"), 23).ToString(), "10.1.2.0/23");
  EXPECT_EQ(SubnetOf(*ParseAddress("fd00:1:2:3::9"), 48).ToString(), "fd00:1:2::/48");
}

TEST(AddressTest, ValidStaticConfigurationsPass) {
  EXPECT_EQ(CheckError(Spec("10.0.0.5", "255.255.255.0", "10.0.0.1")), "");
  EXPECT_EQ(CheckError({{"ip", "10.0.0.5"}}), "");  // netmask and gateway are optional
  EXPECT_EQ(CheckError(Spec("fd00::5", "ffff:ffff:ffff:ffff::", "fd00::1")), "");
}

TEST(AddressTest, MalformedValuesAreRefusedNamingTheNetwork) {
  EXPECT_EQ(CheckError(Spec("not-an-ip", "255.255.255.0", "10.0.0.1")),
            "network 'private': ip 'not-an-ip' is not an IPv4 or IPv6 address");
  EXPECT_EQ(CheckError(Spec("10.0.0.300", "255.255.255.0", "10.0.0.1")),
            "network 'private': ip '10.0.0.300' is not an IPv4 or IPv6 address");
  EXPECT_EQ(CheckError(Spec("fd00::5", "255.255.255.0", "fd00::1")),
            "network 'private': netmask '255.255.255.0' is IPv4 but ip 'fd00::5' is IPv6");
  EXPECT_EQ(CheckError(Spec("10.0.0.5", "255.0.255.0", "10.0.0.1")),
            "network 'private': netmask '255.0.255.0' is not a netmask (its one bits are not "
            "contiguous)");
  EXPECT_EQ(CheckError(Spec("10.0.0.5", "255.255.255.0", "10.0.1.1")),
            "network 'private': gateway '10.0.1.1' is outside the subnet 10.0.0.0/24 of ip "
            "'10.0.0.5'");
  EXPECT_EQ(CheckError(Spec("10.0.0.5", "255.255.255.0", "x")),
            "network 'private': gateway 'x' is not an IPv4 or IPv6 address");
  EXPECT_EQ(CheckError({{"ip", 5}}), "network 'private': ip must be a string");
  EXPECT_EQ(CheckError(json::object()), "network 'private': ip is missing");
}

TEST(AddressTest, LibvirtNetworkSubnetsReadNetmaskOrPrefix) {
  std::vector<Subnet> s = LibvirtNetworkSubnets(
      "<network><name>n</name><ip address='10.213.7.1' netmask='255.255.255.0'/>"
      "<ip family='ipv6' address='fd00:1::1' prefix='64'/></network>");
  ASSERT_EQ(s.size(), 2u);
  EXPECT_EQ(s[0].ToString(), "10.213.7.0/24");
  EXPECT_EQ(s[1].ToString(), "fd00:1::/64");
  EXPECT_TRUE(LibvirtNetworkSubnets("<network><name>bridged</name></network>").empty());
}

}  // namespace
}  // namespace cpi::network
