#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace cpi::testing {

// Reads the reports the test stemcell's init writes on its serial console (one line each:
// `BOSH-TEST {json}`, see stemcell/README.md) from the console log file libvirt keeps for the VM.
class GuestConsole {
 public:
  explicit GuestConsole(std::string log_path) : path_(std::move(log_path)) {}

  // Every report in the log so far, in order.
  std::vector<nlohmann::json> Events() const;

  // Waits until a report that satisfies `match` appears after the first `skip` reports; returns
  // it, or nullopt after `timeout`.
  std::optional<nlohmann::json> WaitFor(const std::function<bool(const nlohmann::json&)>& match,
                                        std::chrono::seconds timeout, size_t skip = 0) const;

  // Waits for a report with the given "event" value.
  std::optional<nlohmann::json> WaitForEvent(const std::string& event,
                                             std::chrono::seconds timeout,
                                             size_t skip = 0) const;

  // The raw log (for failure messages), last `max` bytes.
  std::string Tail(size_t max = 4000) const;

  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace cpi::testing
