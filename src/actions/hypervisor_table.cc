#include "bosh_libvirt_cpi/actions/hypervisor_actions.h"

namespace cpi::actions {
namespace {

struct Entry {
  std::string_view name;
  rpc::Handler handler;
};

// Methods implemented so far; the core's table (src/rpc/methods.cc) lists every contract method,
// those missing here answer NotImplemented.
constexpr Entry kActions[] = {
    {"", nullptr},
};

}  // namespace

rpc::Handler FindHypervisorAction(std::string_view method) {
  for (const Entry& e : kActions) {
    if (!e.name.empty() && e.name == method) return e.handler;
  }
  return nullptr;
}

}  // namespace cpi::actions
