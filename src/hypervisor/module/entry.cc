// The hypervisor module's entry point: the executable dlopens this module only for methods that
// need libvirt, and calls them through HypervisorModule::call.
#include "bosh_libvirt_cpi/actions/hypervisor_actions.h"
#include "bosh_libvirt_cpi/errors.h"
#include "bosh_libvirt_cpi/hosts/inspect.h"
#include "bosh_libvirt_cpi/module/hypervisor_module.h"
#include "bosh_libvirt_cpi/rpc/call.h"
#include "bosh_libvirt_cpi/virt/error.h"

namespace cpi::module {
namespace {

nlohmann::json Call(const MethodCall& call) {
  virt::SilenceDefaultErrorPrinter();
  rpc::Request request{.method = std::string(call.method),
                       .arguments = call.arguments,
                       .context = call.context,
                       .api_version = call.api_version,
                       .stemcell_api_version = call.stemcell_api_version,
                       .request_id = std::string(call.request_id)};
  rpc::Handler handler = actions::FindHypervisorAction(request.method);
  if (handler == nullptr) {
    throw NotImplemented("Method '" + request.method +
                         "' is not implemented by this version of bosh-libvirt-cpi");
  }
  rpc::Args args(request.arguments, request.method);
  return handler(rpc::Call{request, args, call.config});
}

cleanup::Report Cleanup(const config::Config& config, const cleanup::Options& options) {
  virt::SilenceDefaultErrorPrinter();
  return cleanup::Run(config, options);
}

std::vector<hosts::Status> Hosts(const config::Config& config) {
  virt::SilenceDefaultErrorPrinter();
  return hosts::Inspect(config, [](const config::Libvirt& settings) {
    return virt::Connect(settings.uri, settings.timeout_seconds);
  });
}

constexpr HypervisorModule kModule{kAbiVersion, &Call, &Cleanup, &Hosts};

}  // namespace
}  // namespace cpi::module

extern "C" const cpi::module::HypervisorModule* bosh_libvirt_cpi_hypervisor_module() {
  return &cpi::module::kModule;
}
