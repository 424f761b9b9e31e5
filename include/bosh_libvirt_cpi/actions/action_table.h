#pragma once

#include <span>
#include <string_view>

#include "bosh_libvirt_cpi/rpc/call.h"

namespace cpi::actions {

// One row of a table of actions by wire name: the executable's (core_actions.h) and the
// hypervisor module's (hypervisor_actions.h). Each name is a row of rpc/methods.h;
// tests/unit/method_table_test.cc fails when the tables disagree.
struct Action {
  std::string_view name;  // the wire name
  rpc::Handler handler;
};

// The handler of `method` in `table`, or nullptr.
inline rpc::Handler FindAction(std::span<const Action> table, std::string_view method) {
  for (const Action& a : table) {
    if (a.name == method) return a.handler;
  }
  return nullptr;
}

}  // namespace cpi::actions
