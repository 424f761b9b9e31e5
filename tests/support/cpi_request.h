#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "support/process.h"

namespace cpi::testing {

// A request exactly as the Director sends it (docs/CONTRACT.md §1.2): director_uuid, a
// cpi-NNNNNN request_id, vm.stemcell.api_version on the calls that carry it, api_version.
inline std::string DirectorRequest(const std::string& method, const nlohmann::json& arguments,
                                   int api_version = 2, int stemcell_api_version = 3) {
  nlohmann::json context = {{"director_uuid", "7f6a4c2e-1b1d-4f0e-9d53-0c6f1b5f3a11"},
                            {"request_id", "cpi-" + std::to_string(100000 + rand() % 900000)}};
  if (method == "create_vm" || method == "delete_vm" || method == "attach_disk" ||
      method == "detach_disk") {
    context["vm"] = {{"stemcell", {{"api_version", stemcell_api_version}}}};
  }
  nlohmann::json request = {{"method", method}, {"arguments", arguments}, {"context", context}};
  if (api_version > 0) request["api_version"] = api_version;
  return request.dump();
}

// Runs one call through the real executable with `config_path`; returns the parsed response.
inline nlohmann::json CallCpi(const std::string& config_path, const std::string& method,
                              const nlohmann::json& arguments, int api_version = 2,
                              std::string* stderr_out = nullptr) {
  ProcessResult p =
      RunCpi(DirectorRequest(method, arguments, api_version), {"--config", config_path});
  if (stderr_out != nullptr) *stderr_out = p.err;
  if (p.exit_code != 0) return {{"exit_code", p.exit_code}, {"stderr", p.err}};
  return nlohmann::json::parse(p.out);
}

}  // namespace cpi::testing
