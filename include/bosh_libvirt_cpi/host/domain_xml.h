#pragma once

#include <string>
#include <vector>

#include "bosh_libvirt_cpi/xml/document.h"

// What a domain's XML (as libvirt reports it) says about the host's shared resources: the one
// reader of "which volumes does this domain use" (delete_stemcell's refusal, the cleanup
// command) and "which MACs does it use" (create_vm). Pure; the disk service's own device model
// is disk/disk_model.h.
namespace cpi::host {

struct DiskSources {
  // <source file|dev> of every disk, the backing chain of a running domain's disks included.
  std::vector<std::string> paths;
  // "<pool>/<volume>" of every type='volume' disk.
  std::vector<std::string> pool_volumes;
};
DiskSources ReadDiskSources(const xml::Document& domain);

// The MAC addresses of the domain's interfaces, lowercase.
std::vector<std::string> ReadMacs(const xml::Document& domain);

}  // namespace cpi::host
