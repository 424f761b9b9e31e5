#pragma once

#include <map>
#include <string>
#include <vector>

namespace cpi::testing {

struct ProcessResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// Runs `argv` with `input` on stdin and collects stdout/stderr. `env` entries are added to (or
// replace) the test's own environment; `clear_env` starts from an empty one, as the Director does.
ProcessResult RunProcess(const std::vector<std::string>& argv, const std::string& input,
                         const std::map<std::string, std::string>& env = {},
                         bool clear_env = false);

// Runs the built bosh-libvirt-cpi with one request.
ProcessResult RunCpi(const std::string& request, const std::vector<std::string>& extra_args = {},
                     const std::map<std::string, std::string>& env = {});

}  // namespace cpi::testing
