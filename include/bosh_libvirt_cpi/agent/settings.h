#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "bosh_libvirt_cpi/config/config.h"

namespace cpi::agent {

struct SettingsInput {
  std::string agent_id;
  std::string vm_cid;
  const config::Agent* agent = nullptr;  // mbus, ntp, blobstore from the CPI config; null = none
  nlohmann::json networks;               // NicPlan::networks (null -> {})
  std::string system_disk = "/dev/vda";  // empty -> null
  std::optional<std::string> ephemeral_serial;  // virtio serial of the ephemeral disk, if any
  nlohmann::json persistent = nlohmann::json::object();  // disk_cid -> hint (API v1 stemcells)
  nlohmann::json env = nlohmann::json::object();         // create_vm's env, verbatim (null -> {})
};

// "/dev/disk/by-id/virtio-<serial>": the link udev makes for a virtio-blk disk with this serial.
// The guest sees at most the first 20 bytes of a serial, so a longer one is cut the same way here.
// Used for the ephemeral disk here and usable for attach_disk hints.
std::string VirtioDiskPath(const std::string& serial);

// The full settings document for ec2/latest/user-data (contract §5.4), with exactly the agent's
// types: agent_id string, vm {name: vm_cid}, mbus string (absent when the config has none), ntp
// array of strings, blobstore object only when configured, networks, disks {system: string or
// null, ephemeral: {"path": VirtioDiskPath(serial)} or null, persistent: object, raw_ephemeral:
// null}, env. Copies its input and checks nothing; see CheckSettingsTypes.
nlohmann::json BuildSettings(const SettingsInput& in);

// meta-data.json: {"instance-id": vm_cid, "public-keys": {}} (contract §5.3).
nlohmann::json BuildMetaData(const std::string& vm_cid);

// Re-checks a settings document against the types of the agent's Go structs (contract §5.4-5.6):
// a string field holds a string or null, a bool field a bool or null, lists are arrays, nested
// structs are objects, swap_size a non-negative integer, network `prefix` a string, disk hint
// values strings, disks.system a string or null, agent_id a non-empty string, and a network `mac`
// lowercase (the agent compares it with /sys/class/net/*/address). Keys are
// matched case-insensitively as Go's encoding/json does; unknown keys are ignored as the agent
// ignores them. Returns one line per violation, naming the path and the JSON types only (never a
// value: env carries secrets), e.g. "networks.default.prefix must be a string, not a number".
// Empty means valid.
std::vector<std::string> CheckSettingsTypes(const nlohmann::json& settings);

}  // namespace cpi::agent
