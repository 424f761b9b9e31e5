// `bosh-libvirt-cpi hosts`, the executable's half: what it prints (the module's Inspect reads the
// facts: src/hypervisor/hosts/inspect.cc). No libvirt here.
#include <cstdio>

#include "bosh_libvirt_cpi/hosts/hosts.h"

namespace cpi::hosts {
namespace {

std::string Mib(uint64_t bytes) { return std::to_string(bytes >> 20) + " MiB"; }

std::string Gib(uint64_t bytes) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f GiB", static_cast<double>(bytes) / (1ull << 30));
  return buf;
}

}  // namespace

std::string Describe(const Status& s) {
  std::string line = s.name;
  if (!s.key.empty()) line += " (key " + s.key + ")";
  if (!s.az.empty()) line += " az " + s.az;
  line += " " + s.uri + ": ";
  if (!s.reachable) return line + "UNREACHABLE: " + s.error;
  line += "reachable";
  if (!s.libvirt_version.empty()) {
    line += ", libvirt " + s.libvirt_version + ", hypervisor " + s.hypervisor_version;
  }
  if (s.free_memory_bytes) line += ", free memory " + Mib(*s.free_memory_bytes);
  if (s.pool_available_bytes && s.pool_capacity_bytes) {
    line += ", pool '" + s.pool + "' " + Gib(*s.pool_available_bytes) + " free of " +
            Gib(*s.pool_capacity_bytes);
  }
  if (s.vms) line += ", " + std::to_string(*s.vms) + " VM(s)";
  if (!s.error.empty()) line += "; " + s.error;
  return line;
}

nlohmann::json ToJson(const Status& s) {
  nlohmann::json j = {{"name", s.name},
                      {"key", s.key},
                      {"az", s.az},
                      {"uri", s.uri},
                      {"pool", s.pool},
                      {"reachable", s.reachable},
                      {"error", nullptr},
                      {"libvirt_version", nullptr},
                      {"hypervisor_version", nullptr},
                      {"free_memory_mib", nullptr},
                      {"pool_capacity_bytes", nullptr},
                      {"pool_available_bytes", nullptr},
                      {"vms", nullptr}};
  if (!s.error.empty()) j["error"] = s.error;
  if (!s.libvirt_version.empty()) j["libvirt_version"] = s.libvirt_version;
  if (!s.hypervisor_version.empty()) j["hypervisor_version"] = s.hypervisor_version;
  if (s.free_memory_bytes) j["free_memory_mib"] = *s.free_memory_bytes >> 20;
  if (s.pool_capacity_bytes) j["pool_capacity_bytes"] = *s.pool_capacity_bytes;
  if (s.pool_available_bytes) j["pool_available_bytes"] = *s.pool_available_bytes;
  if (s.vms) j["vms"] = *s.vms;
  return j;
}

}  // namespace cpi::hosts
