#pragma once

#include <span>
#include <string_view>

#include "bosh_libvirt_cpi/rpc/args.h"
#include "bosh_libvirt_cpi/rpc/call.h"

namespace cpi::rpc {

// Where a method runs: in the executable itself, or in the hypervisor module that is loaded only
// for methods that need libvirt (so that `info` and bad requests never pay for loading it).
enum class Where { kCore, kHypervisor };

struct Method {
  std::string_view name;
  Where where;
  Handler handler;  // kCore only; hypervisor methods are looked up in the module's table
  std::span<const ArgSpec> args;
  bool needs_config;
};

// The CPI contract's methods (docs/CONTRACT.md §4), in one table. The hypervisor module's table
// of handlers (actions/hypervisor_actions.h) must list the same kHypervisor names.
std::span<const Method> Methods();

// nullptr for an unknown name.
const Method* FindMethod(std::string_view name);

}  // namespace cpi::rpc
