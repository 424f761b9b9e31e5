#include "bosh_libvirt_cpi/cpi.h"

#include "bosh_libvirt_cpi/actions/core_actions.h"
#include "bosh_libvirt_cpi/config/config.h"
#include "bosh_libvirt_cpi/errors.h"
#include "bosh_libvirt_cpi/module/hypervisor_module.h"

namespace cpi {
namespace {

// The call as plain data across the dlopen boundary (module::MethodCall); the module rebuilds
// the rpc::Call for its action.
nlohmann::json CallHypervisor(const rpc::Call& call) {
  const rpc::Request& request = call.request;
  return module::Hypervisor().call({.method = request.method,
                                    .arguments = request.arguments,
                                    .context = request.context,
                                    .api_version = request.api_version,
                                    .stemcell_api_version = request.stemcell_api_version,
                                    .request_id = request.request_id,
                                    .config = call.config});
}

}  // namespace

nlohmann::json RunMethod(const rpc::Method& method, const rpc::Call& call) {
  if (method.where == rpc::Where::kHypervisor) return CallHypervisor(call);
  rpc::Handler handler = actions::FindCoreAction(method.name);
  if (handler == nullptr) {
    throw CpiError("internal: method '" + std::string(method.name) + "' has no action");
  }
  return handler(call);
}

namespace {

// The configuration an operator command runs with: the file, or the built-in defaults.
config::Config LoadConfig(const std::optional<std::string>& config_path) {
  return config_path ? config::LoadFile(*config_path, std::nullopt)
                     : config::Load(std::nullopt, "(built-in defaults)", std::nullopt);
}

}  // namespace

cleanup::Report RunCleanup(const std::optional<std::string>& config_path,
                           const cleanup::Options& options) {
  return module::Hypervisor().cleanup(LoadConfig(config_path), options);
}

std::vector<hosts::Status> RunHosts(const std::optional<std::string>& config_path) {
  return module::Hypervisor().hosts(LoadConfig(config_path));
}

}  // namespace cpi
