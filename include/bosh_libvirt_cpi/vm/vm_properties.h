#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace cpi::vm {

// The VM cloud_properties (vm_type) this CPI understands (docs/CONTRACT.md §8).
struct VmProperties {
  int64_t cpu = 1;
  int64_t memory_mib = 1024;
  int64_t ephemeral_disk_mib = 0;  // 0 = no ephemeral disk
  std::optional<int64_t> root_disk_mib;
  // Placement over several hosts (docs/MULTIHOST.md): the host by name, or an AZ's hosts; the
  // Director merges an AZ's cloud_properties into these. "" when not given.
  std::string host;
  std::string az;
};

// Reads and checks cloud_properties. Keys we do not know are ignored (vm_types are shared across
// CPIs in cpi-configs); known keys with a wrong type or an impossible value throw cpi::Error
// (CpiError) naming the key.
VmProperties ParseVmProperties(const nlohmann::json& cloud_properties);

}  // namespace cpi::vm
