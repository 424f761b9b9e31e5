#include <spdlog/spdlog.h>

#include "bosh_libvirt_cpi/actions/stemcell_actions.h"
#include "bosh_libvirt_cpi/errors.h"
#include "bosh_libvirt_cpi/host/host.h"
#include "bosh_libvirt_cpi/stemcell/stemcell.h"
#include "bosh_libvirt_cpi/util/ids.h"

namespace cpi::actions {

// Success when the stemcell is gone afterwards, whether or not it existed: the Director does not
// know StemcellNotFound. Refuses (CloudError naming them) while VMs still run on the stemcell;
// see stemcell::DeleteStemcell.
nlohmann::json DeleteStemcell(const rpc::Call& call) {
  std::string cid = call.args.String(0);
  if (!util::IsStemcellCid(cid)) {
    // Not a CID this CPI hands out, so no volume of ours can carry it; never look it up.
    spdlog::info("{} is not a stemcell CID of this CPI; nothing to delete", Quote(cid));
    return nullptr;
  }
  const config::Config& config = call.Config();
  // Every host holds its own copy (docs/MULTIHOST.md, "Stemcells").
  for (const config::HostConfig* host_spec : config::AllHosts(config)) {
    const config::HostConfig& spec = *host_spec;
    try {
      host::Host host = host::Host::Open(config, spec);
      if (stemcell::DeleteStemcell(host, cid) == stemcell::DeleteResult::kNotFound) {
        spdlog::info("stemcell {} does not exist{}; nothing to delete", cid,
                     config.multi_host ? " on host '" + spec.name + "'" : "");
      }
    } catch (...) {
      host::RethrowWithStep(host::StepOn(config, spec, "Deleting stemcell " + Quote(cid)));
    }
  }
  return nullptr;
}

}  // namespace cpi::actions
