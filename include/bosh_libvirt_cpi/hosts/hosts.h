#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "bosh_libvirt_cpi/config/config.h"

// The operator's `bosh-libvirt-cpi hosts` command (README.md, "Several hosts"): every configured
// host with whether it answers and the facts placement works with. The module half (Inspect,
// hosts/inspect.h) talks to libvirt; the executable's half (Describe, ToJson) prints.
namespace cpi::hosts {

struct Status {
  std::string name;
  std::string key;  // "" for the single `libvirt` block
  std::string az;
  std::string uri;  // redacted (util::RedactUri)
  std::string pool;
  bool reachable = false;
  std::string error;  // why not reachable, or which fact could not be read
  std::string libvirt_version;
  std::string hypervisor_version;
  std::optional<uint64_t> free_memory_bytes;
  std::optional<uint64_t> pool_capacity_bytes;
  std::optional<uint64_t> pool_available_bytes;
  std::optional<int> vms;  // domains named like a VM CID
};

// One line for the operator. src/core/hosts/command.cc.
std::string Describe(const Status& status);
// The same as a JSON object (`hosts --json`).
nlohmann::json ToJson(const Status& status);

}  // namespace cpi::hosts
