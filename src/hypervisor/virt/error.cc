#include "bosh_libvirt_cpi/virt/error.h"

#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#include <string_view>

namespace cpi::virt {
namespace {

void IgnoreError(void*, virErrorPtr) {}

}  // namespace

Error Error::Last(std::string_view what) {
  virErrorPtr e = virGetLastError();
  if (e == nullptr)
    return Error(std::string(what) + ": unknown libvirt error", VIR_ERR_INTERNAL_ERROR, 0);
  std::string message = std::string(what) + ": " + (e->message ? e->message : "libvirt error");
  return Error(message, e->code, e->domain);
}

bool Error::transient() const {
  // VIR_ERR_SYSTEM_ERROR is any failed system call: transient only on the connection to the
  // daemon (socket refused or absent, EOF when the daemon dies mid-call), not for, say, a bridge
  // that does not exist (ENODEV at domain start), which a retry cannot fix.
  bool connection = domain_ == VIR_FROM_RPC || domain_ == VIR_FROM_REMOTE;
  switch (code_) {
    case VIR_ERR_SYSTEM_ERROR:
      // The ssh transport reports any failure of its ssh child this way, with ssh's own words: a
      // host key that does not match known_hosts, or a client key the host refuses, is a
      // configuration problem a retry cannot fix (README.md, "Reaching libvirtd from a
      // Director"); an unreachable host stays transient.
      return connection &&
             std::string_view(what()).find("Host key verification failed") ==
                 std::string_view::npos &&
             std::string_view(what()).find("Permission denied (publickey") ==
                 std::string_view::npos;
    case VIR_ERR_INTERNAL_ERROR:
      return domain_ == VIR_FROM_RPC;  // "client socket is closed": the daemon went away
    case VIR_ERR_NO_CONNECT:
    case VIR_ERR_RPC:
    case VIR_ERR_OPERATION_TIMEOUT:
    case VIR_ERR_AGENT_UNRESPONSIVE:
    case VIR_ERR_AUTH_UNAVAILABLE:
      return true;
    default:
      return false;
  }
}

bool TakeLastErrorIf(int code) {
  virErrorPtr e = virGetLastError();
  if (e == nullptr || e->code != code) return false;
  virResetLastError();
  return true;
}

void SilenceDefaultErrorPrinter() { virSetErrorFunc(nullptr, IgnoreError); }

}  // namespace cpi::virt
