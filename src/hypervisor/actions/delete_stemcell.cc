#include <spdlog/spdlog.h>

#include "bosh_libvirt_cpi/actions/stemcell_actions.h"
#include "bosh_libvirt_cpi/errors.h"
#include "bosh_libvirt_cpi/host/host.h"
#include "bosh_libvirt_cpi/stemcell/hosts.h"
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
  if (config.multi_host) {
    // Every host holds its own copy (docs/MULTIHOST.md, "Stemcells"); a host that fails does not
    // stop the others, and a retry finishes the job.
    stemcell::DeleteOnEveryHost(config, stemcell::OpenConfigured(config), cid);
    return nullptr;
  }
  try {
    host::Host host = host::Host::Open(config);
    if (stemcell::DeleteStemcell(host, cid) == stemcell::DeleteResult::kNotFound) {
      spdlog::info("stemcell {} does not exist; nothing to delete", cid);
    }
  } catch (...) {
    host::RethrowWithStep("Deleting stemcell " + Quote(cid));
  }
  return nullptr;
}

}  // namespace cpi::actions
