#include "bosh_libvirt_cpi/host/host.h"

#include "bosh_libvirt_cpi/util/uri.h"
#include "bosh_libvirt_cpi/virt/error.h"
#include "bosh_libvirt_cpi/xml/document.h"

namespace cpi::host {

Host Host::Open(const config::Config& config) {
  try {
    return Host(config, virt::Connect(config.libvirt.uri));
  } catch (...) {
    RethrowWithStep("Connecting to libvirt at " + Quote(util::RedactUri(config.libvirt.uri)));
  }
}

void Host::Reconnect() {
  std::unique_ptr<virt::Connection> fresh =
      connect_ ? connect_() : virt::Connect(config_->libvirt.uri);
  retired_conns_.push_back(std::move(conn_));
  if (pool_) retired_pools_.push_back(std::move(pool_));
  conn_ = std::move(fresh);
}

virt::Pool& Host::Pool() {
  if (pool_) return *pool_;
  std::unique_ptr<virt::Pool> pool = conn_->FindPool(pool_name());
  if (!pool) {
    throw CloudError("storage pool " + Quote(pool_name()) + " does not exist on " +
                     Quote(util::RedactUri(conn_->uri())) + " (config libvirt.storage_pool)");
  }
  if (!pool->Active()) {
    throw CloudError("storage pool " + Quote(pool_name()) + " is not active", true);
  }
  pool_ = std::move(pool);
  return *pool_;
}

std::string Host::DomainType() {
  switch (config_->libvirt.domain_type) {
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
