#pragma once

#include <functional>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "bosh_libvirt_cpi/config/config.h"
#include "bosh_libvirt_cpi/host/host.h"
#include "bosh_libvirt_cpi/stemcell/image.h"
#include "bosh_libvirt_cpi/stemcell/stemcell.h"

// A stemcell on several hosts (docs/MULTIHOST.md, "Stemcells"): every host's pool holds its own
// copy under the one CID, imported by create_stemcell, or copied from another host by the first
// create_vm that needs it there.
namespace cpi::stemcell {

// Opens one host of the configuration: host::Host::Open for the CPI (OpenConfigured); the unit
// tests open fake hypervisors. Throws like Host::Open.
using HostOpener = std::function<host::Host(const config::HostConfig&)>;
HostOpener OpenConfigured(const config::Config& config);

// Opens a new stream of the stemcell's root.img (RootImage::Open); called once per import.
using ImageOpener = std::function<RootImage()>;

// create_stemcell in a multi-host config: imports the image into every host under one new CID,
// in parallel (one thread per host, each reading the tarball through its own `open_image()`),
// and returns the CID. Hosts marked `shared` are one storage: the image goes into the first of
// them that answers, the others refresh their pool and must then see it. A host that does not
// answer (a transient failure) is skipped, and logged, when at least one host got the stemcell.
// Otherwise (a failure that is not transient on any host, or no host got it) every copy made is
// deleted again and cpi::Error is thrown naming each failed host: the type of the first
// non-transient failure (NoDiskSpace for a full pool, CloudError...), or a retryable CloudError
// when every failure was transient.
std::string ImportOnEveryHost(const config::Config& config, const HostOpener& open,
                              const ImageOpener& open_image,
                              const nlohmann::json& cloud_properties);

// delete_stemcell in a multi-host config: DeleteStemcell on every host, in config order; a host
// that fails does not stop the others. Throws cpi::Error naming each failed host when any did:
// retryable when every failure was transient (a host that did not answer; the retry finishes),
// else of the first other failure's type (DeleteStemcell's refusal while VMs use it stays a
// refusal).
void DeleteOnEveryHost(const config::Config& config, const HostOpener& open,
                       const std::string& cid);

// The stemcell as create_vm uses it on `host` in a multi-host config: its base volume and its
// sidecar (both are written, sidecar last, before a stemcell counts as there). When the pool
// lacks it, it is copied there first from the first other host (config order) whose pool has it:
// the base volume with its name, format and capacity through libvirt streams (virt::CopyVolume),
// then the sidecar. The copy holds the stemcell's lock shared (delete_stemcell waits) and an
// exclusive lock per stemcell and host, and looks again once it has them (a concurrent create_vm
// may have copied it meanwhile); a failed copy leaves no volume behind (host::WithRollback).
// A shared host's pool is refreshed first (another shared host may have put it into the common
// storage), and other shared hosts are not copied from. Throws CloudError "stemcell ... not
// found" naming the hosts asked when no host has it (retryable when some host did not answer),
// cpi::Error naming both hosts when the copy fails.
StemcellImage FindOrCopyStemcell(host::Host& host, const std::string& cid, const HostOpener& open);

// The lock serialising the copies of stemcell `cid` onto host `host_name`.
std::string CopyLockName(const std::string& cid, const std::string& host_name);

}  // namespace cpi::stemcell
