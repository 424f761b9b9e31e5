#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "bosh_libvirt_cpi/config/config.h"
#include "bosh_libvirt_cpi/errors.h"
#include "bosh_libvirt_cpi/virt/objects.h"

namespace cpi::host {

// One hypervisor as the configuration names it: the connection and the storage pool the CPI
// keeps its volumes in. Opened once per call; every object it hands out lives no longer than it.
class Host {
 public:
  // Connects. Throws cpi::Error (CloudError; ok_to_retry when the daemon may come back).
  static Host Open(const config::Config& config);
  // Over a connection already open (the unit tests pass a fake one).
  Host(const config::Config& config, std::unique_ptr<virt::Connection> conn)
      : config_(&config), conn_(std::move(conn)) {}

  const config::Config& config() const { return *config_; }
  virt::Connection& conn() const { return *conn_; }

  // The configured storage pool. Throws cpi::Error when it does not exist or is not active.
  virt::Pool& Pool();
  const std::string& pool_name() const { return config_->libvirt.storage_pool; }

  // nullptr when absent.
  std::unique_ptr<virt::Volume> FindVolume(const std::string& name) {
    return Pool().FindVolume(name);
  }
  std::unique_ptr<virt::Domain> FindDomain(const std::string& name) const {
    return conn_->FindDomain(name);
  }

  // "kvm" or "qemu": the configured domain type, with `auto` resolved (README.md, "Configuration"):
  // kvm only when libvirt offers it and the host CPU has vmx/svm.
  std::string DomainType();

 private:
  const config::Config* config_;
  std::unique_ptr<virt::Connection> conn_;
  std::unique_ptr<virt::Pool> pool_;
};

// Must be called inside a catch block. Like cpi::RethrowWithStep, but also understands libvirt
// errors: transient ones (connection lost, daemon restarting) become retryable, a full pool
// becomes NoDiskSpace, others become `fallback`.
[[noreturn]] void RethrowWithStep(std::string_view step,
                                  ErrorType fallback = ErrorType::kCloudError);

// Opens the configured host and runs `action(host)`: the shape of every hypervisor action. A
// failure to connect is reported by Open; any failure of `action` is rethrown with `step` in
// front (RethrowWithStep above). Returns what `action` returns.
template <typename Action>
auto OnHost(const config::Config& config, const std::string& step, Action&& action) {
  Host host = Host::Open(config);
  try {
    return action(host);
  } catch (...) {
    RethrowWithStep(step);
  }
}

}  // namespace cpi::host
