#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace cpi::network {

// One virtual NIC of a VM. Exactly one of `libvirt_network` and `bridge` is set.
struct Nic {
  std::string bosh_network;     // key in create_vm's networks hash (of a nic_group: the first
                                // member by name)
  std::string mac;              // "52:54:00:xx:xx:xx", lowercase
  std::string libvirt_network;  // set when the NIC joins a libvirt network
  std::string bridge;           // set instead when cloud_properties name a host bridge
};

struct NicPlan {
  // One per NIC, ordered by `bosh_network` (so eth0 is the NIC of the first network by name).
  std::vector<Nic> nics;
  // The create_vm networks hash, copied, with "mac" added to every network that got a NIC and
  // "use_dhcp" set on manual ones: cloud_properties.use_dhcp when given, else the network's own
  // use_dhcp when given, else false. vip networks are unchanged and get no NIC. This is both the
  // `networks` of the agent settings and the second element of create_vm's v2 result.
  nlohmann::json networks;
};

// Decides the NICs of a VM. `networks` is create_vm's 4th argument; `default_network` the
// libvirt network for networks whose cloud_properties name neither `network` nor `bridge` (the
// config's libvirt.network); `next_mac` returns a fresh MAC for each call (the caller guarantees
// host-wide uniqueness; it is called once per NIC, in NIC order).
//
// Per network: `type` is "manual" (the default when absent, as with the Director), "dynamic" or
// "vip"; a manual network needs a string `ip`; `cloud_properties` (optional) is an object whose
// keys `network` (libvirt network name) and `bridge` (host bridge name) are strings and exclusive,
// and whose `use_dhcp` is a bool.
//
// nic_group: networks with the same `nic_group` (a string, or an integer as a manifest may write
// it) share one NIC and therefore one MAC; the agent then configures all of them on that
// interface. The members must resolve to the same libvirt network or bridge. A vip network's
// nic_group is ignored (it has no NIC).
//
// BOSH network names, libvirt network names and bridge names must be 1 to 64 characters from
// [A-Za-z0-9_.:-], since they reach domain XML and file paths.
//
// Throws cpi::Error CpiError naming the network and the key (e.g. "network 'default':
// cloud_properties.network must be a string") for bad input, and CloudError when `next_mac`
// returns something that is not a MAC or a MAC already used in this plan.
NicPlan PlanNics(const nlohmann::json& networks, const std::string& default_network,
                 const std::function<std::string()>& next_mac);

// A random unicast, locally administered MAC in QEMU's 52:54:00 prefix, lowercase, from
// getrandom(2).
std::string RandomMac();

// Whether `mac` is six lowercase hex pairs separated by colons.
bool IsLowercaseMac(std::string_view mac);

}  // namespace cpi::network
