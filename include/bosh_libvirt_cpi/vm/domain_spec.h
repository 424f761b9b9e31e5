#pragma once

#include <string>
#include <vector>

#include "bosh_libvirt_cpi/network/nic_plan.h"

namespace cpi::vm {

// The CPI's own record in each domain's <metadata> (namespace kVmNamespace): what a later call
// needs to find the VM's volumes without guessing.
inline constexpr const char* kVmNamespace = "https://github.com/bosh-libvirt-cpi/xmlns/vm/1";
// set_vm_metadata's keys live under their own namespace so they never clobber the record above.
inline constexpr const char* kBoshMetadataNamespace =
    "https://github.com/bosh-libvirt-cpi/xmlns/bosh-metadata/1";
// A domain is defined carrying <creating:call since='epoch seconds'/> under this namespace, and
// create_vm removes it only once the domain runs, right before answering. A domain still
// carrying it was left by a create_vm that never answered (killed, or its daemon lost): BOSH
// has no CID for it, so `bosh-libvirt-cpi cleanup` may remove it with its volumes.
inline constexpr const char* kCreatingNamespace =
    "https://github.com/bosh-libvirt-cpi/xmlns/creating/1";
inline constexpr const char* kCreatingPrefix = "creating";

struct DiskDevice {
  std::string path;    // on the hypervisor
  std::string format;  // qcow2 | raw
  std::string target;  // vda, vdb, ...
  std::string serial;  // virtio serial, at most 20 characters
};

struct VolumeRole {
  std::string role;  // root | ephemeral | config
  std::string volume;
};

// Everything domain.xml needs.
struct DomainSpec {
  std::string name;  // the VM CID
  std::string title;
  std::string domain_type;   // kvm | qemu
  std::string machine_type;  // empty = libvirt's default
  std::string agent_id;
  std::string stemcell_cid;
  std::string pool;
  int64_t cpu = 1;
  int64_t memory_mib = 1024;
  std::vector<DiskDevice> disks;
  std::vector<VolumeRole> volumes;
  std::string config_drive_path;
  std::vector<network::Nic> nics;
  std::string console_log;
  int64_t creating_since = 0;  // epoch seconds: the kCreatingNamespace marker's `since`
};

// Renders templates/domain.xml (or the operator's copy in `templates_dir`). Throws cpi::Error.
std::string RenderDomainXml(const DomainSpec& spec, const std::string& templates_dir);

// The CD-ROM bus for the machine type: SATA on q35 (IDE does not exist there), IDE otherwise.
std::string CdromBus(const std::string& machine_type);

}  // namespace cpi::vm
