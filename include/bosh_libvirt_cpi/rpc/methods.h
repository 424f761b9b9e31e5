#pragma once

#include <span>
#include <string_view>

#include "bosh_libvirt_cpi/rpc/args.h"

namespace cpi::rpc {

// Where a method runs: in the executable itself, or in the hypervisor module that is loaded only
// for methods that need libvirt (so that `info` and bad requests never pay for loading it).
enum class Where { kCore, kHypervisor };

struct Method {
  std::string_view name;
  Where where;  // its handler is in actions/core_actions.h or actions/hypervisor_actions.h
  std::span<const ArgSpec> args;
  bool needs_config;
};

// The CPI contract's methods (docs/CONTRACT.md §4), in one table. The tables of handlers
// (actions/core_actions.h in the executable, actions/hypervisor_actions.h in the module) list
// the same names by where they run; rpc knows neither (cpi.h puts them together).
std::span<const Method> Methods();

// nullptr for an unknown name.
const Method* FindMethod(std::string_view name);

}  // namespace cpi::rpc
