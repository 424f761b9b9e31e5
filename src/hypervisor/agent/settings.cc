#include "bosh_libvirt_cpi/agent/settings.h"

#include <cstdint>
#include <initializer_list>
#include <limits>
#include <string_view>

#include "bosh_libvirt_cpi/network/nic_plan.h"
#include "bosh_libvirt_cpi/util/text.h"

namespace cpi::agent {
namespace {

using nlohmann::json;

// virtio-blk exposes at most this many bytes of a disk's serial to the guest.
constexpr size_t kVirtioSerialBytes = 20;

// --- A small schema of the agent's settings.Settings Go struct --------------------------------
// Go's encoding/json leaves a field at its zero value for JSON null, so null passes every check;
// any other mismatch fails the agent's whole unmarshal.

using Violations = std::vector<std::string>;
using Check = void (*)(const json&, const std::string&, Violations&);

struct Field {
  std::string_view name;
  Check check;
};

std::string TypeName(const json& v) {
  switch (v.type()) {
    case json::value_t::null:
      return "null";
    case json::value_t::boolean:
      return "a boolean";
    case json::value_t::string:
      return "a string";
    case json::value_t::array:
      return "an array";
    case json::value_t::object:
      return "an object";
    case json::value_t::number_float:
      return "a fractional number";
    case json::value_t::number_integer:
      return v.get<std::int64_t>() < 0 ? "a negative number" : "a number";
    case json::value_t::number_unsigned:
      return "a number";
    default:
      return "binary data";
  }
}

std::string Join(const std::string& path, std::string_view key) {
  return path.empty() ? std::string(key) : path + "." + std::string(key);
}

void Fail(Violations& out, const std::string& path, std::string_view want, const json& got) {
  out.push_back((path.empty() ? std::string("settings") : path) + " must be " + std::string(want) +
                ", not " + TypeName(got));
}

void Struct(const json& v, const std::string& path, Violations& out,
            std::initializer_list<Field> fields) {
  if (v.is_null()) return;
  if (!v.is_object()) return Fail(out, path, "an object", v);
  for (const auto& [key, value] : v.items()) {
    for (const Field& f : fields) {
      if (util::EqualFold(key, f.name)) {
        f.check(value, Join(path, key), out);
        break;
      }
    }
  }
}

void String(const json& v, const std::string& path, Violations& out) {
  if (!v.is_null() && !v.is_string()) Fail(out, path, "a string", v);
}

void Bool(const json& v, const std::string& path, Violations& out) {
  if (!v.is_null() && !v.is_boolean()) Fail(out, path, "a boolean", v);
}

void StringList(const json& v, const std::string& path, Violations& out) {
  if (v.is_null()) return;
  if (!v.is_array()) return Fail(out, path, "an array of strings", v);
  for (size_t i = 0; i < v.size(); ++i) String(v[i], path + "[" + std::to_string(i) + "]", out);
}

void AnyMap(const json& v, const std::string& path, Violations& out) {
  if (!v.is_null() && !v.is_object()) Fail(out, path, "an object", v);
}

void Uint64(const json& v, const std::string& path, Violations& out) {
  // Requests reach us through simdjson (json/convert.cc), which hands every integer that fits an
  // int64 over as signed: `"swap_size": 0` from bosh create-env is a signed 0 here.
  bool ok = v.is_null() || v.is_number_unsigned() ||
            (v.is_number_integer() && v.get<std::int64_t>() >= 0);
  if (!ok) Fail(out, path, "a non-negative integer", v);
}

void Int(const json& v, const std::string& path, Violations& out) {
  bool ok =
      v.is_null() ||
      (v.is_number_integer() &&
       (!v.is_number_unsigned() ||
        v.get<std::uint64_t>() <= static_cast<std::uint64_t>(std::numeric_limits<int64_t>::max())));
  if (!ok) Fail(out, path, "an integer", v);
}

void Blobstore(const json& v, const std::string& path, Violations& out) {
  Struct(v, path, out, {{"provider", String}, {"options", AnyMap}});
}

void Blobstores(const json& v, const std::string& path, Violations& out) {
  if (v.is_null()) return;
  if (!v.is_array()) return Fail(out, path, "an array", v);
  for (size_t i = 0; i < v.size(); ++i) Blobstore(v[i], path + "[" + std::to_string(i) + "]", out);
}

// Hint values are read with unchecked `.(string)` casts (contract §5.6): a key that is present
// must hold a string, null included, or the agent panics.
void HintString(const json& v, const std::string& path, Violations& out) {
  if (!v.is_string()) Fail(out, path, "a string", v);
}

void IscsiSettings(const json& v, const std::string& path, Violations& out) {
  if (!v.is_object()) return Fail(out, path, "an object", v);
  for (std::string_view key : {"username", "password", "initiator_name", "target"}) {
    if (auto it = v.find(key); it != v.end()) HintString(*it, Join(path, key), out);
  }
}

void DiskHint(const json& v, const std::string& path, Violations& out) {
  if (v.is_null() || v.is_string()) return;
  if (!v.is_object()) return Fail(out, path, "a string or an object", v);
  for (std::string_view key : {"path", "volume_id", "id", "lun", "host_device_id"}) {
    if (auto it = v.find(key); it != v.end()) HintString(*it, Join(path, key), out);
  }
  if (auto it = v.find("iscsi_settings"); it != v.end()) {
    IscsiSettings(*it, Join(path, "iscsi_settings"), out);
  }
}

void PersistentHints(const json& v, const std::string& path, Violations& out) {
  if (v.is_null()) return;
  if (!v.is_object()) return Fail(out, path, "an object", v);
  for (const auto& [cid, hint] : v.items()) DiskHint(hint, Join(path, cid), out);
}

void RawEphemeral(const json& v, const std::string& path, Violations& out) {
  if (v.is_null()) return;
  if (!v.is_array()) return Fail(out, path, "an array", v);
  for (size_t i = 0; i < v.size(); ++i) {
    // settings.DiskSettings has no JSON tags: Go matches its field names case-insensitively.
    Struct(v[i], path + "[" + std::to_string(i) + "]", out,
           {{"id", String},
            {"deviceid", String},
            {"volumeid", String},
            {"lun", String},
            {"hostdeviceid", String},
            {"path", String},
            {"iscsisettings",
             [](const json& s, const std::string& p, Violations& o) {
               Struct(s, p, o,
                      {{"initiatorname", String},
                       {"username", String},
                       {"target", String},
                       {"password", String}});
             }},
            {"filesystemtype", String},
            {"mountoptions", StringList},
            {"partitioner", String}});
  }
}

void Disks(const json& v, const std::string& path, Violations& out) {
  Struct(v, path, out,
         {{"system", String},
          {"ephemeral", DiskHint},
          {"persistent", PersistentHints},
          {"raw_ephemeral", RawEphemeral}});
}

void BoshEnv(const json& v, const std::string& path, Violations& out) {
  Struct(v, path, out,
         {{"agent",
           [](const json& a, const std::string& p, Violations& o) {
             Struct(a, p, o, {{"settings", [](const json& s, const std::string& q, Violations& r) {
                                 Struct(s, q, r, {{"tmpfs", Bool}});
                               }}});
           }},
          {"password", String},
          {"keep_root_password", Bool},
          {"remove_dev_tools", Bool},
          {"remove_static_libraries", Bool},
          {"authorized_keys", StringList},
          {"swap_size", Uint64},
          {"mbus",
           [](const json& m, const std::string& p, Violations& o) {
             Struct(m, p, o,
                    {{"cert",
                      [](const json& c, const std::string& q, Violations& r) {
                        Struct(c, q, r,
                               {{"ca", String}, {"private_key", String}, {"certificate", String}});
                      }},
                     {"urls", StringList}});
           }},
          {"ipv6",
           [](const json& i, const std::string& p, Violations& o) {
             Struct(i, p, o, {{"enable", Bool}});
           }},
          {"job_dir",
           [](const json& j, const std::string& p, Violations& o) {
             Struct(j, p, o, {{"tmpfs", Bool}, {"tmpfs_size", String}});
           }},
          {"run_dir",
           [](const json& r, const std::string& p, Violations& o) {
             Struct(r, p, o, {{"tmpfs_size", String}});
           }},
          {"blobstores", Blobstores},
          {"ntp", StringList},
          {"parallel", Int}});
}

void Env(const json& v, const std::string& path, Violations& out) {
  Struct(v, path, out,
         {{"bosh", BoshEnv},
          {"persistent_disk_fs", String},
          {"persistent_disk_mount_options", StringList},
          {"persistent_disk_partitioner", String}});
}

void Mac(const json& v, const std::string& path, Violations& out) {
  String(v, path, out);
  // The agent matches it against /sys/class/net/*/address, which is lowercase; a MAC that
  // matches no NIC stops the agent.
  if (v.is_string() && !v.get<std::string>().empty() &&
      !network::IsLowercaseMac(v.get<std::string>())) {
    out.push_back(path + " must be a lowercase MAC address (aa:bb:cc:dd:ee:ff)");
  }
}

void Routes(const json& v, const std::string& path, Violations& out) {
  if (v.is_null()) return;
  if (!v.is_array()) return Fail(out, path, "an array", v);
  for (size_t i = 0; i < v.size(); ++i) {
    Struct(v[i], path + "[" + std::to_string(i) + "]", out,
           {{"destination", String}, {"gateway", String}, {"netmask", String}});
  }
}

void Network(const json& v, const std::string& path, Violations& out) {
  Struct(v, path, out,
         {{"type", String},
          {"ip", String},
          {"netmask", String},
          {"gateway", String},
          {"prefix", String},
          {"resolved", Bool},
          {"use_dhcp", Bool},
          {"default", StringList},
          {"dns", StringList},
          {"mac", Mac},
          {"preconfigured", Bool},
          {"routes", Routes},
          {"alias", String}});
}

void Networks(const json& v, const std::string& path, Violations& out) {
  if (v.is_null()) return;
  if (!v.is_object()) return Fail(out, path, "an object", v);
  for (const auto& [name, network] : v.items()) Network(network, Join(path, name), out);
}

void AgentId(const json& v, const std::string& path, Violations& out) {
  if (!v.is_string() || v.get<std::string>().empty()) Fail(out, path, "a non-empty string", v);
}

}  // namespace

std::string VirtioDiskPath(const std::string& serial) {
  return "/dev/disk/by-id/virtio-" + serial.substr(0, kVirtioSerialBytes);
}

json BuildSettings(const SettingsInput& in) {
  json settings = json::object();
  settings["agent_id"] = in.agent_id;
  settings["vm"] = json::object({{"name", in.vm_cid}});
  if (in.agent != nullptr && !in.agent->mbus.empty()) settings["mbus"] = in.agent->mbus;
  json ntp = json::array();
  if (in.agent != nullptr) {
    for (const std::string& server : in.agent->ntp) ntp.push_back(server);
  }
  settings["ntp"] = std::move(ntp);
  if (in.agent != nullptr && !in.agent->blobstore.is_null()) {
    settings["blobstore"] = in.agent->blobstore;
  }
  settings["networks"] = in.networks.is_null() ? json::object() : in.networks;

  json disks = json::object();
  disks["system"] = in.system_disk.empty() ? json(nullptr) : json(in.system_disk);
  disks["ephemeral"] = in.ephemeral_serial
                           ? json::object({{"path", VirtioDiskPath(*in.ephemeral_serial)}})
                           : json(nullptr);
  disks["persistent"] = in.persistent.is_null() ? json::object() : in.persistent;
  disks["raw_ephemeral"] = nullptr;
  settings["disks"] = std::move(disks);

  settings["env"] = in.env.is_null() ? json::object() : in.env;
  return settings;
}

json BuildMetaData(const std::string& vm_cid) {
  return json::object({{"instance-id", vm_cid}, {"public-keys", json::object()}});
}

std::vector<std::string> CheckSettingsTypes(const json& settings) {
  Violations out;
  if (!settings.is_object()) {
    Fail(out, "", "an object", settings);
    return out;
  }
  bool has_agent_id = false;
  for (const auto& [key, value] : settings.items())
    has_agent_id |= util::EqualFold(key, "agent_id");
  if (!has_agent_id) out.push_back("agent_id is missing");
  Struct(settings, "", out,
         {{"agent_id", AgentId},
          {"blobstore", Blobstore},
          {"disks", Disks},
          {"env", Env},
          {"networks", Networks},
          {"ntp", StringList},
          {"mbus", String},
          {"vm", [](const json& v, const std::string& p, Violations& o) {
             Struct(v, p, o, {{"name", String}});
           }}});
  return out;
}

}  // namespace cpi::agent
