#include "bosh_libvirt_cpi/network/address.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cstdlib>

#include "bosh_libvirt_cpi/errors.h"
#include "bosh_libvirt_cpi/xml/document.h"

namespace cpi::network {
namespace {

std::string Where(const std::string& network) { return "network " + Quote(network) + ": "; }

const char* FamilyName(int family) { return family == AF_INET ? "IPv4" : "IPv6"; }

// The string value of `key`, parsed; throws naming the key when it is not an address.
std::optional<Address> OptionalAddress(const std::string& network, const nlohmann::json& spec,
                                       const char* key) {
  auto it = spec.find(key);
  if (it == spec.end() || it->is_null()) return std::nullopt;
  if (!it->is_string()) throw CpiError(Where(network) + key + " must be a string");
  std::string text = it->get<std::string>();
  std::optional<Address> a = ParseAddress(text);
  if (!a) {
    throw CpiError(Where(network) + key + " " + Quote(text) + " is not an IPv4 or IPv6 address");
  }
  return a;
}

}  // namespace

size_t Address::size() const { return family == AF_INET ? 4 : 16; }

std::optional<Address> ParseAddress(std::string_view text) {
  if (text.empty() || text.size() > INET6_ADDRSTRLEN) return std::nullopt;
  if (text.find('\0') != std::string_view::npos) return std::nullopt;  // inet_pton would stop there
  std::string s(text);
  Address a;
  if (inet_pton(AF_INET, s.c_str(), a.bytes.data()) == 1) {
    a.family = AF_INET;
    return a;
  }
  if (inet_pton(AF_INET6, s.c_str(), a.bytes.data()) == 1) {
    a.family = AF_INET6;
    return a;
  }
  return std::nullopt;
}

std::optional<int> PrefixOfNetmask(const Address& mask) {
  int prefix = 0;
  bool zeros = false;
  for (size_t i = 0; i < mask.size(); ++i) {
    for (int bit = 7; bit >= 0; --bit) {
      bool one = (mask.bytes[i] >> bit) & 1;
      if (one && zeros) return std::nullopt;
      if (one) ++prefix;
      zeros = zeros || !one;
    }
  }
  return prefix;
}

Subnet SubnetOf(const Address& a, int prefix) {
  Subnet s{a, prefix};
  for (size_t i = 0; i < a.size(); ++i) {
    int bits = std::clamp(prefix - static_cast<int>(i) * 8, 0, 8);
    s.network.bytes[i] &= static_cast<uint8_t>(0xff00 >> bits);
  }
  return s;
}

bool Subnet::Contains(const Address& a) const {
  if (a.family != network.family) return false;
  Subnet other = SubnetOf(a, prefix);
  return other.network.bytes == network.bytes;
}

std::string Subnet::ToString() const {
  char text[INET6_ADDRSTRLEN] = {};
  inet_ntop(network.family, network.bytes.data(), text, sizeof text);
  return std::string(text) + "/" + std::to_string(prefix);
}

void CheckStaticAddress(const std::string& network, const nlohmann::json& spec) {
  std::optional<Address> ip = OptionalAddress(network, spec, "ip");
  if (!ip) throw CpiError(Where(network) + "ip is missing");
  std::string ip_text = spec["ip"].get<std::string>();
  std::optional<Address> mask = OptionalAddress(network, spec, "netmask");
  std::optional<Address> gateway = OptionalAddress(network, spec, "gateway");
  for (const auto& [key, value] : {std::pair{"netmask", mask}, std::pair{"gateway", gateway}}) {
    if (value && value->family != ip->family) {
      throw CpiError(Where(network) + key + " " + Quote(spec[key].get<std::string>()) + " is " +
                     FamilyName(value->family) + " but ip " + Quote(ip_text) + " is " +
                     FamilyName(ip->family));
    }
  }
  if (!mask) return;
  std::optional<int> prefix = PrefixOfNetmask(*mask);
  if (!prefix) {
    throw CpiError(Where(network) + "netmask " + Quote(spec["netmask"].get<std::string>()) +
                   " is not a netmask (its one bits are not contiguous)");
  }
  Subnet subnet = SubnetOf(*ip, *prefix);
  if (gateway && !subnet.Contains(*gateway)) {
    throw CpiError(Where(network) + "gateway " + Quote(spec["gateway"].get<std::string>()) +
                   " is outside the subnet " + subnet.ToString() + " of ip " + Quote(ip_text));
  }
}

std::vector<Subnet> LibvirtNetworkSubnets(const std::string& network_xml) {
  xml::Document doc = xml::Document::Parse(network_xml, "network definition");
  std::vector<Subnet> out;
  double count = doc.Number("count(/network/ip)");
  for (int i = 1; i <= static_cast<int>(count); ++i) {
    std::string at = "/network/ip[" + std::to_string(i) + "]";
    std::optional<Address> address = ParseAddress(doc.String(at + "/@address"));
    if (!address) continue;
    std::optional<int> prefix;
    if (std::string netmask = doc.String(at + "/@netmask"); !netmask.empty()) {
      if (std::optional<Address> m = ParseAddress(netmask)) prefix = PrefixOfNetmask(*m);
    } else if (std::string p = doc.String(at + "/@prefix"); !p.empty()) {
      prefix = std::atoi(p.c_str());
    }  // neither: libvirt falls back to a classful mask; not guessed here, so not checked
    if (prefix && *prefix >= 0 && *prefix <= static_cast<int>(address->size()) * 8) {
      out.push_back(SubnetOf(*address, *prefix));
    }
  }
  return out;
}

}  // namespace cpi::network
