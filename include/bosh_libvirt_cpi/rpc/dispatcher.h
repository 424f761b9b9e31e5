#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "bosh_libvirt_cpi/rpc/call.h"
#include "bosh_libvirt_cpi/rpc/methods.h"

namespace cpi::rpc {

// Runs a call whose request is valid and whose configuration is loaded, where `method` says.
using Runner = nlohmann::json (*)(const Method& method, const Call& call);

struct Options {
  std::optional<std::string> config_path;  // --config; nullopt = built-in defaults
  // Required. The CPI's is cpi::RunMethod (cpi.h): the protocol knows neither the actions nor
  // the hypervisor module.
  Runner run = nullptr;
};

// Handles one request (the whole of stdin) and returns the response document
// {"result", "error", "log"}. Never throws: every failure becomes an error response.
std::string Handle(std::string_view input, const Options& options);

}  // namespace cpi::rpc
