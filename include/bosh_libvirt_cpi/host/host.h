#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bosh_libvirt_cpi/config/config.h"
#include "bosh_libvirt_cpi/errors.h"
#include "bosh_libvirt_cpi/virt/objects.h"

namespace cpi::host {

// One hypervisor as the configuration names it (one entry of config.hosts): the connection and
// the storage pool the CPI keeps its volumes in. Opened once per call; every object it hands out
// lives no longer than it.
class Host {
 public:
  // Opens a new connection to the same hypervisor (Reconnect).
  using Connector = std::function<std::unique_ptr<virt::Connection>()>;

  // Connects to `spec` (one of config.hosts), for at most its timeout_seconds. Throws cpi::Error
  // (CloudError naming the host and its URI; ok_to_retry when the daemon may come back).
  static Host Open(const config::Config& config, const config::HostConfig& spec);
  // The first host (config::DefaultHost): the only one of a single-host config.
  static Host Open(const config::Config& config) {
    return Open(config, config::DefaultHost(config));
  }
  // Over a connection already open (the unit tests pass a fake one, and a `connect` that opens
  // another; without one, Reconnect connects to the configured URI). `spec` defaults to the
  // config's first host.
  Host(const config::Config& config, std::unique_ptr<virt::Connection> conn,
       Connector connect = nullptr, const config::HostConfig* spec = nullptr)
      : config_(&config),
        spec_(spec ? spec : &config::DefaultHost(config)),
        conn_(std::move(conn)),
        connect_(std::move(connect)) {}

  const config::Config& config() const { return *config_; }
  // This host's entry of config.hosts: its name, key, AZ and libvirt settings.
  const config::HostConfig& spec() const { return *spec_; }
  const config::Libvirt& settings() const { return config::SettingsOf(*config_, *spec_); }
  // The key new CIDs made here carry ("" for a single-host config).
  const std::string& key() const { return spec_->key; }
  virt::Connection& conn() const { return *conn_; }

  // Replaces the connection with a new one (the daemon was lost or restarted; host::Rollback
  // calls it). Objects handed out before stay valid but keep talking to the old connection, so
  // callers look them up again. Throws virt::Error when the daemon does not answer.
  void Reconnect();

  // The configured storage pool. Throws cpi::Error when it does not exist or is not active.
  virt::Pool& Pool();
  const std::string& pool_name() const { return settings().storage_pool; }

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
  const config::HostConfig* spec_;
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

// The host a VM, disk or snapshot CID lives on: the host whose key it carries, the first host
// for a CID without a key (docs/MULTIHOST.md, "CIDs"). Throws cpi::Error (CloudError, not
// retryable) naming the key when no configured host has it: the host was removed from the config.
const config::HostConfig& HostOf(const config::Config& config, std::string_view cid);

// `step` with " on host 'kvm-a'" appended in a multi-host config.
std::string StepOn(const config::Config& config, const config::HostConfig& spec, std::string step);

// Opens the host `cid` lives on and runs `action(host)`: the shape of every hypervisor action
// that has a CID. A failure to connect is reported by Open; any failure of `action` is rethrown
// with `step` in front (RethrowWithStep above). Returns what `action` returns.
template <typename Action>
auto OnHost(const config::Config& config, std::string_view cid, const std::string& step,
            Action&& action) {
  const config::HostConfig& spec = HostOf(config, cid);
  std::string where = StepOn(config, spec, step);
  std::optional<Host> host;
  try {
    host.emplace(Host::Open(config, spec));
  } catch (...) {
    RethrowWithStep(where);
  }
  try {
    return action(*host);
  } catch (...) {
    RethrowWithStep(where);
  }
}

}  // namespace cpi::host
