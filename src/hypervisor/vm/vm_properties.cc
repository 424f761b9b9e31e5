#include "bosh_libvirt_cpi/vm/vm_properties.h"

#include "bosh_libvirt_cpi/errors.h"

namespace cpi::vm {
namespace {

constexpr int64_t kMaxCpu = 1024;
constexpr int64_t kMaxMemoryMiB = 16LL * 1024 * 1024;
constexpr int64_t kMaxDiskMiB = 64LL * 1024 * 1024;

int64_t WholeNumber(const nlohmann::json& v, const std::string& key, int64_t min, int64_t max) {
  int64_t n = 0;
  if (v.is_number_integer()) {
    n = v.get<int64_t>();
  } else if (v.is_number_float() && v.get<double>() == static_cast<double>(
                                                          static_cast<int64_t>(v.get<double>()))) {
    n = static_cast<int64_t>(v.get<double>());
  } else {
    throw CpiError("cloud_properties." + key + " must be an integer, got " + v.type_name());
  }
  if (n < min || n > max) {
    throw CpiError("cloud_properties." + key + " is " + std::to_string(n) + ", outside " +
                   std::to_string(min) + ".." + std::to_string(max));
  }
  return n;
}

// {"size": MiB}; a bare number is accepted too, as some manifests write it.
int64_t DiskSize(const nlohmann::json& v, const std::string& key, int64_t min) {
  if (v.is_object()) {
    if (!v.contains("size")) throw CpiError("cloud_properties." + key + ".size is missing");
    return WholeNumber(v["size"], key + ".size", min, kMaxDiskMiB);
  }
  return WholeNumber(v, key, min, kMaxDiskMiB);
}

}  // namespace

VmProperties ParseVmProperties(const nlohmann::json& cp) {
  VmProperties p;
  if (cp.is_null()) return p;
  if (!cp.is_object()) throw CpiError("cloud_properties must be an object");
  if (cp.contains("cpu")) p.cpu = WholeNumber(cp["cpu"], "cpu", 1, kMaxCpu);
  if (cp.contains("memory")) p.memory_mib = WholeNumber(cp["memory"], "memory", 16, kMaxMemoryMiB);
  if (cp.contains("ephemeral_disk") && !cp["ephemeral_disk"].is_null()) {
    p.ephemeral_disk_mib = DiskSize(cp["ephemeral_disk"], "ephemeral_disk", 0);
  }
  if (cp.contains("root_disk") && !cp["root_disk"].is_null()) {
    p.root_disk_mib = DiskSize(cp["root_disk"], "root_disk", 1);
  }
  return p;
}

}  // namespace cpi::vm
