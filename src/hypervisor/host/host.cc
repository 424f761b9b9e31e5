#include "bosh_libvirt_cpi/host/host.h"

#include "bosh_libvirt_cpi/util/ids.h"
#include "bosh_libvirt_cpi/util/uri.h"
#include "bosh_libvirt_cpi/virt/error.h"
#include "bosh_libvirt_cpi/xml/document.h"

namespace cpi::host {

Host Host::Open(const config::Config& config, const config::HostConfig& spec) {
  try {
    const config::Libvirt& settings = config::SettingsOf(config, spec);
    return Host(config, virt::Connect(settings.uri, settings.timeout_seconds), nullptr, &spec);
  } catch (...) {
    std::string what = config.multi_host ? "host " + Quote(spec.name) + " at " : "at ";
    RethrowWithStep("Connecting to libvirt " + what +
                    Quote(util::RedactUri(config::SettingsOf(config, spec).uri)));
  }
}

void Host::Reconnect() {
  std::unique_ptr<virt::Connection> fresh = connect_ ? connect_() : virt::Connect(settings().uri);
  retired_conns_.push_back(std::move(conn_));
  if (pool_) retired_pools_.push_back(std::move(pool_));
  conn_ = std::move(fresh);
}

virt::Pool& Host::Pool() {
  if (pool_) return *pool_;
  std::unique_ptr<virt::Pool> pool = conn_->FindPool(pool_name());
  if (!pool) {
    std::string where = config_->multi_host ? "host " + Quote(spec_->name) + " at " : "";
    throw CloudError("storage pool " + Quote(pool_name()) + " does not exist on " + where +
                     Quote(util::RedactUri(conn_->uri())) +
                     (config_->multi_host ? " (config hosts[].storage_pool)"
                                          : " (config libvirt.storage_pool)"));
  }
  if (!pool->Active()) {
    throw CloudError("storage pool " + Quote(pool_name()) + " is not active" +
                         (config_->multi_host ? " on host " + Quote(spec_->name) : ""),
                     true);
  }
  pool_ = std::move(pool);
  return *pool_;
}

std::string Host::DomainType() {
  switch (settings().domain_type) {
    case config::DomainType::kKvm:
      return "kvm";
    case config::DomainType::kQemu:
      return "qemu";
    case config::DomainType::kAuto:
      break;
  }
  if (!conn_->OffersKvm()) return "qemu";
  xml::Document doc = xml::Document::Parse(conn_->CapabilitiesXml(), "host capabilities");
  double hw = doc.Number("count(/capabilities/host/cpu/feature[@name='vmx' or @name='svm'])");
  return hw > 0 ? "kvm" : "qemu";
}

const config::HostConfig& HostOf(const config::Config& config, std::string_view cid) {
  std::string key = util::CidHostKey(cid);
  if (const config::HostConfig* spec = config::HostWithKey(config, key)) return *spec;
  std::string keys;
  for (const config::HostConfig& h : config.hosts) {
    keys += (keys.empty() ? "" : ", ") + h.name + "=" + (h.key.empty() ? "(none)" : h.key);
  }
  throw CloudError(Quote(std::string(cid)) + " names host key " + Quote(key) +
                   ", which no configured host has (hosts and keys: " + keys +
                   "); a host that made CIDs must stay in the config with its key");
}

std::string StepOn(const config::Config& config, const config::HostConfig& spec, std::string step) {
  if (config.multi_host) step += " on host " + Quote(spec.name);
  return step;
}

bool RetryMayHelp() {
  try {
    throw;
  } catch (const virt::Error& e) {
    return e.transient();
  } catch (const Error& e) {
    return e.ok_to_retry();
  } catch (...) {
    return false;
  }
}

void RethrowWithStep(std::string_view step, ErrorType fallback) {
  try {
    throw;
  } catch (const virt::Error& e) {
    std::string message = std::string(step) + ": " + e.what();
    std::string_view what = e.what();
    if (what.find("No space left on device") != std::string_view::npos ||
        what.find("not enough space") != std::string_view::npos) {
      throw NoDiskSpace(message);
    }
    throw Error(fallback, message, e.transient());
  } catch (...) {
    cpi::RethrowWithStep(step, fallback);
  }
}

}  // namespace cpi::host
