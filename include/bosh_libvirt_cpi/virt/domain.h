#pragma once

#include <optional>
#include <string>
#include <vector>

#include "bosh_libvirt_cpi/virt/handles.h"
#include "bosh_libvirt_cpi/virt/objects.h"

namespace cpi::virt {

// Domain operations. Every function throws virt::Error naming the step and the domain.
DomainPtr DefineDomain(virConnectPtr conn, const std::string& xml, const std::string& name);
void StartDomain(virDomainPtr dom, const std::string& name);
// Powers off at once; a domain that is not running counts as success.
void DestroyDomain(virDomainPtr dom, const std::string& name);
// Removes the definition with managed save, NVRAM, snapshot and checkpoint metadata; falls back
// to fewer flags where the driver refuses them. "No such domain" counts as success.
void UndefineDomain(virDomainPtr dom, const std::string& name);
void ResetDomain(virDomainPtr dom, const std::string& name);
void ResumeDomain(virDomainPtr dom, const std::string& name);
DomainState GetDomainState(virDomainPtr dom, const std::string& name);
bool DomainActive(virDomainPtr dom, const std::string& name);
std::string DomainName(virDomainPtr dom);
// inactive=true: the persistent definition; false: the live one (when running).
std::string DomainXml(virDomainPtr dom, const std::string& name, bool inactive);

// <metadata> element under namespace `uri` with prefix `key`; affects the live domain too when
// it runs. Passing an empty xml removes it.
void SetDomainMetadata(virDomainPtr dom, const std::string& xml, const std::string& key,
                       const std::string& uri, const std::string& name);
// nullopt when the domain has no such metadata.
std::optional<std::string> GetDomainMetadata(virDomainPtr dom, const std::string& uri,
                                             const std::string& name);
void SetDomainTitle(virDomainPtr dom, const std::string& title, const std::string& name);

// Every defined domain (running or not).
std::vector<DomainPtr> ListAllDomains(virConnectPtr conn);
// Every domain of the connection, defined or running, with its XML. Domains that disappear
// while the list is read are left out.
std::vector<DomainDescription> ListDomainDescriptions(virConnectPtr conn);
std::optional<DomainPtr> FindDomainByUuid(virConnectPtr conn, const std::string& uuid);

}  // namespace cpi::virt
