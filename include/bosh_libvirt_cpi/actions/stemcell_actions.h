#pragma once

#include <nlohmann/json.hpp>

#include "bosh_libvirt_cpi/rpc/call.h"

// Stemcell methods (docs/CONTRACT.md §4.2, §4.3), in the hypervisor module.
namespace cpi::actions {

// create_stemcell(image_path, cloud_properties[, env]) → "sc-<uuid>".
nlohmann::json CreateStemcell(const rpc::Call& call);
// delete_stemcell(stemcell_cid) → null; a missing stemcell is success.
nlohmann::json DeleteStemcell(const rpc::Call& call);

}  // namespace cpi::actions
