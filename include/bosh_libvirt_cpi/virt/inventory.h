#pragma once

#include <string>
#include <vector>

#include "bosh_libvirt_cpi/virt/handles.h"
#include "bosh_libvirt_cpi/virt/objects.h"

namespace cpi::virt {

// Every volume of `pool` with its XML description. Volumes deleted while the list is read are
// left out. Throws virt::Error naming the step.
std::vector<VolumeDescription> ListVolumeDescriptions(virStoragePoolPtr pool,
                                                      const std::string& pool_name);

// Every domain of the connection, defined or running, with its XML. Domains that disappear
// while the list is read are left out. Throws virt::Error naming the step.
std::vector<DomainDescription> ListDomainDescriptions(virConnectPtr conn);

}  // namespace cpi::virt
