#include "bosh_libvirt_cpi/network/nic_plan.h"

#include <array>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <map>
#include <optional>
#include <set>

#include <sys/random.h>

#include "bosh_libvirt_cpi/errors.h"
#include "bosh_libvirt_cpi/network/address.h"

namespace cpi::network {
namespace {

using nlohmann::json;

constexpr size_t kMaxNameLength = 64;

bool IsSafeName(std::string_view name) {
  if (name.empty() || name.size() > kMaxNameLength) return false;
  for (char c : name) {
    bool ok =
        std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == ':' || c == '-';
    if (!ok) return false;
  }
  return true;
}

std::string Where(const std::string& network) { return "network " + Quote(network) + ": "; }

void RequireSafeName(const std::string& network, const std::string& key, const std::string& value) {
  if (!IsSafeName(value)) {
    throw CpiError(Where(network) + key + " " + Quote(value) +
                   " must be 1 to 64 characters from A-Z a-z 0-9 _ . : -");
  }
}

// Where a NIC is plugged in: exactly one of the two is set.
struct Attachment {
  std::string libvirt_network;
  std::string bridge;
  bool operator==(const Attachment&) const = default;
};

std::string Describe(const Attachment& a) {
  return a.bridge.empty() ? "libvirt network " + Quote(a.libvirt_network)
                          : "bridge " + Quote(a.bridge);
}

// What one BOSH network asks for, after validation.
struct Request {
  std::string name;
  bool has_nic = false;
  bool manual = false;
  Attachment attachment;
  std::optional<bool> use_dhcp;        // the network's own use_dhcp
  std::optional<bool> cloud_use_dhcp;  // cloud_properties.use_dhcp
  std::optional<std::string> nic_group;
};

Request ParseNetwork(const std::string& name, const json& spec, const std::string& default_net) {
  Request r;
  r.name = name;
  if (!IsSafeName(name)) {
    throw CpiError(Where(name) + "the name must be 1 to 64 characters from A-Z a-z 0-9 _ . : -");
  }
  if (!spec.is_object()) throw CpiError(Where(name) + "must be an object");

  std::string type = "manual";
  if (auto it = spec.find("type"); it != spec.end() && !it->is_null()) {
    if (!it->is_string()) throw CpiError(Where(name) + "type must be a string");
    type = it->get<std::string>();
  }
  if (type != "manual" && type != "dynamic" && type != "vip") {
    throw CpiError(Where(name) + "type " + Quote(type) +
                   " is not one of 'manual', 'dynamic', 'vip'");
  }
  r.manual = type == "manual";
  r.has_nic = type != "vip";

  if (r.manual) CheckStaticAddress(name, spec);
  if (auto it = spec.find("use_dhcp"); it != spec.end() && !it->is_null()) {
    if (!it->is_boolean()) throw CpiError(Where(name) + "use_dhcp must be a boolean");
    r.use_dhcp = it->get<bool>();
  }

  json cloud = json::object();
  if (auto it = spec.find("cloud_properties"); it != spec.end() && !it->is_null()) {
    if (!it->is_object()) throw CpiError(Where(name) + "cloud_properties must be an object");
    cloud = *it;
  }
  auto net = cloud.find("network");
  auto bridge = cloud.find("bridge");
  bool has_net = net != cloud.end() && !net->is_null();
  bool has_bridge = bridge != cloud.end() && !bridge->is_null();
  if (has_net && has_bridge) {
    throw CpiError(Where(name) + "cloud_properties.network and cloud_properties.bridge " +
                   "are exclusive");
  }
  if (has_net) {
    if (!net->is_string())
      throw CpiError(Where(name) + "cloud_properties.network must be a string");
    r.attachment.libvirt_network = net->get<std::string>();
    RequireSafeName(name, "cloud_properties.network", r.attachment.libvirt_network);
  } else if (has_bridge) {
    if (!bridge->is_string()) {
      throw CpiError(Where(name) + "cloud_properties.bridge must be a string");
    }
    r.attachment.bridge = bridge->get<std::string>();
    RequireSafeName(name, "cloud_properties.bridge", r.attachment.bridge);
  } else if (r.has_nic) {
    r.attachment.libvirt_network = default_net;
    RequireSafeName(name, "the default libvirt network (config libvirt.network)", default_net);
  }
  if (auto it = cloud.find("use_dhcp"); it != cloud.end() && !it->is_null()) {
    if (!it->is_boolean()) {
      throw CpiError(Where(name) + "cloud_properties.use_dhcp must be a boolean");
    }
    r.cloud_use_dhcp = it->get<bool>();
  }

  if (auto it = spec.find("nic_group"); it != spec.end() && !it->is_null()) {
    if (it->is_string()) {
      r.nic_group = it->get<std::string>();
    } else if (it->is_number_integer()) {
      r.nic_group = it->dump();  // the Director sends `to_s` of what the manifest says
    } else {
      throw CpiError(Where(name) + "nic_group must be a string or an integer");
    }
  }
  return r;
}

std::string NextMac(const std::function<std::string()>& next_mac, std::set<std::string>& used) {
  std::string mac = next_mac();
  for (char& c : mac) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (!IsLowercaseMac(mac)) {
    throw CloudError("planning NICs: generated MAC " + Quote(mac) + " is not a MAC address");
  }
  if (!used.insert(mac).second) {
    throw CloudError("planning NICs: generated MAC " + Quote(mac) + " twice");
  }
  return mac;
}

}  // namespace

bool IsLowercaseMac(std::string_view mac) {
  if (mac.size() != 17) return false;
  for (size_t i = 0; i < mac.size(); ++i) {
    char c = mac[i];
    if (i % 3 == 2) {
      if (c != ':') return false;
    } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
      return false;
    }
  }
  return true;
}

NicPlan PlanNics(const json& networks, const std::string& default_network,
                 const std::function<std::string()>& next_mac) {
  if (!networks.is_object()) throw CpiError("networks must be an object");

  // nlohmann::json keeps object keys sorted, so this walks networks by name.
  std::vector<Request> requests;
  for (const auto& [name, spec] : networks.items()) {
    requests.push_back(ParseNetwork(name, spec, default_network));
  }

  NicPlan plan;
  plan.networks = networks;
  std::set<std::string> used_macs;
  std::map<std::string, size_t> nic_of_group;  // nic_group -> index into plan.nics
  for (const Request& r : requests) {
    json& out = plan.networks[r.name];
    // Without a DHCP server on the libvirt side a manual network must be configured statically;
    // cloud_properties win over a use_dhcp the caller already put on the network.
    if (r.manual) out["use_dhcp"] = r.cloud_use_dhcp.value_or(r.use_dhcp.value_or(false));
    if (!r.has_nic) continue;

    if (r.nic_group) {
      if (auto it = nic_of_group.find(*r.nic_group); it != nic_of_group.end()) {
        const Nic& nic = plan.nics[it->second];
        Attachment shared{nic.libvirt_network, nic.bridge};
        if (shared != r.attachment) {
          throw CpiError(Where(r.name) + "nic_group " + Quote(*r.nic_group) + " joins " +
                         Describe(r.attachment) + " but its network " + Quote(nic.bosh_network) +
                         " joins " + Describe(shared));
        }
        out["mac"] = nic.mac;
        continue;
      }
    }
    Nic nic;
    nic.bosh_network = r.name;
    nic.mac = NextMac(next_mac, used_macs);
    nic.libvirt_network = r.attachment.libvirt_network;
    nic.bridge = r.attachment.bridge;
    out["mac"] = nic.mac;
    if (r.nic_group) nic_of_group[*r.nic_group] = plan.nics.size();
    plan.nics.push_back(std::move(nic));
  }
  return plan;
}

std::string RandomMac() {
  std::array<unsigned char, 3> bytes{};
  size_t filled = 0;
  while (filled < bytes.size()) {
    ssize_t n = getrandom(bytes.data() + filled, bytes.size() - filled, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw CloudError(std::string("generating a MAC address: getrandom: ") + std::strerror(errno));
    }
    filled += static_cast<size_t>(n);
  }
  char text[18];
  std::snprintf(text, sizeof text, "52:54:00:%02x:%02x:%02x", bytes[0], bytes[1], bytes[2]);
  return text;
}

}  // namespace cpi::network
