#include "bosh_libvirt_cpi/actions/core_actions.h"
#include "bosh_libvirt_cpi/errors.h"
#include "bosh_libvirt_cpi/json/convert.h"

namespace cpi::actions {
namespace {

// The largest values we accept: beyond these a libvirt define would fail anyway.
constexpr int64_t kMaxCpu = 1024;
constexpr int64_t kMaxRamMiB = 16 * 1024 * 1024;     // 16 TiB
constexpr int64_t kMaxDiskMiB = 64LL * 1024 * 1024;  // 64 TiB

int64_t Required(const simdjson::dom::object& resources, const char* key, int64_t min, int64_t max,
                 const char* what) {
  simdjson::dom::element value;
  if (resources[key].get(value)) {
    throw CloudError("Calculating VM cloud properties: '" + std::string(key) + "' is missing");
  }
  std::string number = rpc::NumberText(value);
  if (number.empty()) {
    throw CloudError("Calculating VM cloud properties: '" + std::string(key) + "' must be " + what +
                     ", got " + json::TypeName(value.type()));
  }
  std::optional<int64_t> n = rpc::AsWholeNumber(value);
  if (!n || *n < min || *n > max) {
    throw CloudError("Calculating VM cloud properties: '" + std::string(key) + "' " + number +
                     " is not " + what + " in " + std::to_string(min) + ".." + std::to_string(max));
  }
  return *n;
}

}  // namespace

// Maps vm_resources ({cpu, ram, ephemeral_disk_size}) to the VM cloud_properties create_vm
// understands (docs/CONTRACT.md §8).
nlohmann::json CalculateVmCloudProperties(const rpc::Call& call) {
  simdjson::dom::object resources = call.args.Object(0);
  int64_t cpu = Required(resources, "cpu", 1, kMaxCpu, "a whole number of CPUs");
  int64_t ram = Required(resources, "ram", 1, kMaxRamMiB, "a whole number of MiB");
  int64_t disk =
      Required(resources, "ephemeral_disk_size", 0, kMaxDiskMiB, "a whole number of MiB");
  nlohmann::json out = {{"cpu", cpu}, {"memory", ram}};
  if (disk > 0) out["ephemeral_disk"] = {{"size", disk}};
  return out;
}

}  // namespace cpi::actions
