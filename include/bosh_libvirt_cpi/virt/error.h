#pragma once

#include <stdexcept>
#include <string>
#include <string_view>

namespace cpi::virt {

// A failed libvirt call. Built from virGetLastError() right after the failure, keeping libvirt's
// error code (virErrorNumber) so callers can tell "no such domain" from "daemon gone".
class Error : public std::runtime_error {
 public:
  Error(std::string message, int code, int domain)
      : std::runtime_error(std::move(message)), code_(code), domain_(domain) {}

  // Captures the calling thread's last libvirt error; `what` names the failed step.
  static Error Last(std::string_view what);

  int code() const { return code_; }      // virErrorNumber
  int domain() const { return domain_; }  // virErrorDomain

  // Lost or refused connection, daemon restart, timeouts: a retry later may succeed.
  bool transient() const;

 private:
  int code_;
  int domain_;
};

// Whether the calling thread's last libvirt error has code `code` (a virErrorNumber, such as
// VIR_ERR_NO_DOMAIN); if so the error is cleared, since the caller takes it as an answer ("not
// found", "not running") rather than a failure.
bool TakeLastErrorIf(int code);

// Installs a no-op libvirt error handler so libvirt never prints to stderr by itself; errors
// travel as exceptions instead. Idempotent.
void SilenceDefaultErrorPrinter();

}  // namespace cpi::virt
