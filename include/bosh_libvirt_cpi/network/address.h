#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace cpi::network {

// An IPv4 or IPv6 address (IPv4 in the first 4 bytes).
struct Address {
  int family = 0;  // AF_INET or AF_INET6
  std::array<uint8_t, 16> bytes{};
  size_t size() const;  // 4 or 16
};

// inet_pton's reading of `text` (dotted quad or RFC 4291 text), or nullopt.
std::optional<Address> ParseAddress(std::string_view text);

// The prefix length of a netmask whose ones are contiguous ("255.255.255.0" → 24), or nullopt.
std::optional<int> PrefixOfNetmask(const Address& mask);

// A subnet: an address with a prefix length, shown as "10.0.0.0/24".
struct Subnet {
  Address network;
  int prefix = 0;
  bool Contains(const Address& a) const;
  std::string ToString() const;
};

// The subnet `a` lies in with `prefix` bits of network part.
Subnet SubnetOf(const Address& a, int prefix);

// Checks a manual network's static configuration before anything is made: `ip` is an IPv4 or
// IPv6 address; `netmask` (when given) one of the same family with contiguous ones; `gateway`
// (when given) an address of the same family inside ip/netmask. Throws cpi::Error (CpiError)
// naming the network and the value ("network 'default': ip '10.0.0.300' is not an IPv4 or IPv6
// address").
void CheckStaticAddress(const std::string& network, const nlohmann::json& spec);

// The subnets of a libvirt network's definition (<ip address=... netmask=...|prefix=...>); empty
// for a network without addresses (a bridge libvirt does not manage the IP plan of).
std::vector<Subnet> LibvirtNetworkSubnets(const std::string& network_xml);

}  // namespace cpi::network
