#pragma once

#include <cstdint>
#include <string>

#include "bosh_libvirt_cpi/virt/handles.h"
#include "bosh_libvirt_cpi/virt/objects.h"

// libvirt calls for persistent disks and snapshots beyond the plain domain/storage wrappers:
// device changes with an explicit scope, full volume clones, and push-mode backup jobs.
namespace cpi::virt {

// Hot-plugs (or adds to the definition) one device. Throws virt::Error naming `what`.
void AttachDeviceIn(virDomainPtr dom, const std::string& xml, Scope scope, const std::string& what);

// Changes one device in place (e.g. a CD-ROM's media). Throws virt::Error naming `what`.
void UpdateDeviceIn(virDomainPtr dom, const std::string& xml, Scope scope, const std::string& what);

// Asks libvirt to remove the device with user alias `alias` (virDomainDetachDeviceAlias). For
// kConfig the removal is done when this returns; for kLive it is asynchronous: the guest must
// acknowledge the unplug, so callers confirm by re-reading the live XML. Other failures throw
// virt::Error naming `what`.
DetachRequest DetachAliasIn(virDomainPtr dom, const std::string& alias, Scope scope,
                            const std::string& what);

// Like DetachAliasIn, for a device without a user alias, named by its XML.
DetachRequest DetachDeviceIn(virDomainPtr dom, const std::string& xml, Scope scope,
                             const std::string& what);

// A full, independent copy of `source` as a new volume of `pool` described by `xml`
// (virStorageVolCreateXMLFrom). Throws virt::Error naming `name`.
StorageVolPtr CloneVolume(virStoragePoolPtr pool, const std::string& xml, virStorageVolPtr source,
                          const std::string& name);

// Starts a push-mode backup job (virDomainBackupBegin) described by `backup_xml`, writing into
// target files that already exist (VIR_DOMAIN_BACKUP_BEGIN_REUSE_EXTERNAL). Throws virt::Error.
void BeginPushBackup(virDomainPtr dom, const std::string& backup_xml, const std::string& name);

// The domain's current job (virDomainGetJobStats). Throws virt::Error.
JobProgress GetJobProgress(virDomainPtr dom, const std::string& name);

// Statistics of the domain's last finished job (VIR_DOMAIN_JOB_STATS_COMPLETED); libvirt forgets
// them once read. Throws virt::Error.
CompletedJob GetCompletedJob(virDomainPtr dom, const std::string& name);

// Cancels the domain's running job; a domain with no job counts as success. Throws virt::Error.
void AbortJob(virDomainPtr dom, const std::string& name);

}  // namespace cpi::virt
