#include "bosh_libvirt_cpi/rpc/call.h"

#include "bosh_libvirt_cpi/errors.h"

namespace cpi::rpc {

const config::Config& Call::Config() const {
  if (config == nullptr) throw CpiError("internal: method '" + request.method + "' has no config");
  return *config;
}

}  // namespace cpi::rpc
