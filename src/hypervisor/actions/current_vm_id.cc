#include <cctype>

#include "bosh_libvirt_cpi/actions/vm_actions.h"
#include "bosh_libvirt_cpi/util/ids.h"
#include "bosh_libvirt_cpi/util/read_file.h"
#include "bosh_libvirt_cpi/util/uri.h"
#include "bosh_libvirt_cpi/vm/vm_service.h"

namespace cpi::actions {
namespace {

// libvirt gives every domain an SMBIOS system UUID equal to its own UUID.
std::string SmbiosUuid() {
  std::string uuid;
  if (util::ReadFile("/sys/class/dmi/id/product_uuid", uuid) != 0) return "";
  uuid = uuid.substr(0, uuid.find('\n'));
  for (char& c : uuid) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return uuid;
}

}  // namespace

// current_vm_id(): the CID of the VM this CPI runs in, when that VM is a domain of the
// configured host; otherwise NotImplemented (deprecated; only snapshot_self uses it).
nlohmann::json CurrentVmId(const rpc::Call& call) {
  std::string uuid = SmbiosUuid();
  if (uuid.size() != 36) {
    throw NotImplemented("Finding the current VM: this machine exposes no SMBIOS UUID");
  }
  const config::Config& config = call.Config();
  std::string where;
  // Rare (snapshot_self only): every host is asked in turn.
  for (const config::HostConfig* host_spec : config::AllHosts(config)) {
    const config::HostConfig& spec = *host_spec;
    std::string step =
        host::StepOn(config, spec, "Finding the current VM by SMBIOS UUID " + Quote(uuid));
    std::unique_ptr<virt::Domain> dom;
    try {
      host::Host host = host::Host::Open(config, spec);
      dom = host.conn().FindDomainByUuid(uuid);
    } catch (...) {
      host::RethrowWithStep(step);
    }
    std::string name = dom ? dom->name() : "";
    if (util::IsVmCid(name)) return name;
    where +=
        (where.empty() ? "" : ", ") + Quote(util::RedactUri(config::SettingsOf(config, spec).uri));
  }
  throw NotImplemented("Finding the current VM: this machine (SMBIOS UUID " + uuid +
                       ") is not a VM of this CPI on " + where);
}

}  // namespace cpi::actions
