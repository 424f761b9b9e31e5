#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace cpi::rpc {

struct Options {
  std::optional<std::string> config_path;  // --config; nullopt = built-in defaults
};

// Handles one request (the whole of stdin) and returns the response document
// {"result", "error", "log"}. Never throws: every failure becomes an error response.
std::string Handle(std::string_view input, const Options& options);

}  // namespace cpi::rpc
