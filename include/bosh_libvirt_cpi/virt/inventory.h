#pragma once

#include <string>
#include <vector>

#include "bosh_libvirt_cpi/virt/handles.h"

namespace cpi::virt {

struct VolumeDescription {
  std::string name;
  std::string xml;  // virStorageVolGetXMLDesc
};

// Every volume of `pool` with its XML description. Volumes deleted while the list is read are
// left out. Throws virt::Error naming the step.
std::vector<VolumeDescription> ListVolumeDescriptions(virStoragePoolPtr pool,
                                                      const std::string& pool_name);

struct DomainDescription {
  std::string name;
  std::string config_xml;  // the persistent definition (empty for a transient domain)
  std::string live_xml;    // the running domain's XML (empty when it does not run)
};

// Every domain of the connection, defined or running, with its XML. Domains that disappear
// while the list is read are left out. Throws virt::Error naming the step.
std::vector<DomainDescription> ListDomainDescriptions(virConnectPtr conn);

}  // namespace cpi::virt
