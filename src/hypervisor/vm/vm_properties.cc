#include "bosh_libvirt_cpi/vm/vm_properties.h"

#include <cmath>
#include <limits>
#include <optional>

#include "bosh_libvirt_cpi/errors.h"

namespace cpi::vm {
namespace {

constexpr int64_t kMaxCpu = 1024;
constexpr int64_t kMaxMemoryMiB = 16LL * 1024 * 1024;
constexpr int64_t kMaxDiskMiB = 64LL * 1024 * 1024;

// The value as the caller wrote it, for a message: `string "x"`, `number 1.5`, `object`.
std::string Got(const nlohmann::json& v) {
  if (v.is_object() || v.is_array()) return v.type_name();
  std::string text = v.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  if (text.size() > 60) text = text.substr(0, 60) + "...";
  return std::string(v.is_number() ? "number" : v.type_name()) + " " + text;
}

// `v` as an int64 when it is a whole number; nullopt when it is not one (`whole` false) or is one
// beyond int64 (`whole` true).
std::optional<int64_t> AsInt64(const nlohmann::json& v, bool& whole) {
  whole = true;
  if (v.is_number_unsigned()) {
    uint64_t u = v.get<uint64_t>();
    if (u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) return std::nullopt;
    return static_cast<int64_t>(u);
  }
  if (v.is_number_integer()) return v.get<int64_t>();
  if (v.is_number_float()) {
    double d = v.get<double>();
    whole = std::isfinite(d) && std::floor(d) == d;
    if (!whole || std::fabs(d) >= 9.2e18) return std::nullopt;
    return static_cast<int64_t>(d);
  }
  whole = false;
  return std::nullopt;
}

// A whole number of `unit` (empty: a plain count) within min..max. `shape` tells what else the
// key accepts, for the message.
int64_t WholeNumber(const nlohmann::json& v, const std::string& key, int64_t min, int64_t max,
                    std::string_view unit, std::string_view shape = {}) {
  bool whole = false;
  std::optional<int64_t> n = AsInt64(v, whole);
  std::string unit_text = unit.empty() ? "" : " " + std::string(unit);
  if (!whole) {
    throw CpiError("cloud_properties." + key + " must be an integer" +
                   (unit.empty() ? "" : " number of" + unit_text) + std::string(shape) + ", got " +
                   Got(v));
  }
  if (!n || *n < min || *n > max) {
    throw CpiError("cloud_properties." + key + " " + v.dump() + unit_text + " is out of range " +
                   std::to_string(min) + ".." + std::to_string(max));
  }
  return *n;
}

// {"size": MiB}; a bare number is accepted too, as some manifests write it.
int64_t DiskSize(const nlohmann::json& v, const std::string& key, int64_t min) {
  if (v.is_object()) {
    if (!v.contains("size")) throw CpiError("cloud_properties." + key + ".size is missing");
    return WholeNumber(v["size"], key + ".size", min, kMaxDiskMiB, "MiB");
  }
  return WholeNumber(v, key, min, kMaxDiskMiB, "MiB", " (or {\"size\": MiB})");
}

}  // namespace

VmProperties ParseVmProperties(const nlohmann::json& cp) {
  VmProperties p;
  if (cp.is_null()) return p;
  if (!cp.is_object()) throw CpiError("cloud_properties must be an object");
  if (cp.contains("cpu")) p.cpu = WholeNumber(cp["cpu"], "cpu", 1, kMaxCpu, "");
  if (cp.contains("memory"))
    p.memory_mib = WholeNumber(cp["memory"], "memory", 16, kMaxMemoryMiB, "MiB");
  if (cp.contains("ephemeral_disk") && !cp["ephemeral_disk"].is_null()) {
    p.ephemeral_disk_mib = DiskSize(cp["ephemeral_disk"], "ephemeral_disk", 0);
  }
  if (cp.contains("root_disk") && !cp["root_disk"].is_null()) {
    p.root_disk_mib = DiskSize(cp["root_disk"], "root_disk", 1);
  }
  for (auto [key, out] : {std::pair{"host", &p.host}, std::pair{"az", &p.az}}) {
    if (!cp.contains(key) || cp[key].is_null()) continue;
    if (!cp[key].is_string() || cp[key].get<std::string>().empty()) {
      throw CpiError(std::string("cloud_properties.") + key + " must be a non-empty string, got " +
                     cp[key].dump());
    }
    *out = cp[key].get<std::string>();
  }
  return p;
}

}  // namespace cpi::vm
