#pragma once

#include <nlohmann/json.hpp>

#include "bosh_libvirt_cpi/config/config.h"
#include "bosh_libvirt_cpi/rpc/args.h"
#include "bosh_libvirt_cpi/rpc/request.h"

namespace cpi::rpc {

// Everything an action gets: the parsed request, its validated arguments and (for every method
// but `info`) the configuration with the request's cpi-config overlay applied.
struct Call {
  const Request& request;
  const Args& args;
  const config::Config* config;  // null only for methods that need none

  const config::Config& Config() const;  // throws CpiError when absent
  // API v2 result shapes (create_vm array, attach_disk hint) when the caller asked for >= 2.
  bool V2() const { return request.api_version >= 2; }
};

// An action: typed in (via Call), JSON result out, cpi::Error on failure.
using Handler = nlohmann::json (*)(const Call& call);

}  // namespace cpi::rpc
