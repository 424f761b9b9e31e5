#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "bosh_libvirt_cpi/config/config.h"
#include "bosh_libvirt_cpi/errors.h"
#include "bosh_libvirt_cpi/virt/objects.h"

namespace cpi::host {

// One hypervisor as the configuration names it: the connection and the storage pool the CPI
// keeps its volumes in. Opened once per call; every object it hands out lives no longer than it.
class Host {
 public:
  // Opens a new connection to the same hypervisor (Reconnect).
  using Connector = std::function<std::unique_ptr<virt::Connection>()>;

  // Connects. Throws cpi::Error (CloudError; ok_to_retry when the daemon may come back).
  static Host Open(const config::Config& config);
  // Over a connection already open (the unit tests pass a fake one, and a `connect` that opens
  // another; without one, Reconnect connects to the configured URI).
  Host(const config::Config& config, std::unique_ptr<virt::Connection> conn,
       Connector connect = nullptr)
      : config_(&config), conn_(std::move(conn)), connect_(std::move(connect)) {}

  const config::Config& config() const { return *config_; }
  virt::Connection& conn() const { return *conn_; }

  // Replaces the connection with a new one (the daemon was lost or restarted; host::Rollback
  // calls it). Objects handed out before stay valid but keep talking to the old connection, so
  // callers look them up again. Throws virt::Error when the daemon does not answer.
  void Reconnect();

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
  // Connections replaced by Reconnect, kept open until the Host goes: objects handed out earlier
  // (declared after them, so destroyed first) still refer to them.
  std::vector<std::unique_ptr<virt::Connection>> retired_conns_;
  std::vector<std::unique_ptr<virt::Pool>> retired_pools_;
  std::unique_ptr<virt::Connection> conn_;
  std::unique_ptr<virt::Pool> pool_;
  Connector connect_;
};

// Must be called inside a catch block. Like cpi::RethrowWithStep, but also understands libvirt
// errors: transient ones (connection lost, daemon restarting) become retryable, a full pool
// becomes NoDiskSpace, others become `fallback`.
[[noreturn]] void RethrowWithStep(std::string_view step,
                                  ErrorType fallback = ErrorType::kCloudError);

// Must be called inside a catch block: whether the current failure may go away on a retry (a
// transient virt::Error, or a cpi::Error with ok_to_retry).
bool RetryMayHelp();

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
