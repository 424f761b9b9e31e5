#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <map>
#include <optional>
#include <set>

#include <boost/filesystem/path.hpp>

#include "bosh_libvirt_cpi/agent/config_drive.h"
#include "bosh_libvirt_cpi/agent/settings.h"
#include "bosh_libvirt_cpi/host/domain_xml.h"
#include "bosh_libvirt_cpi/host/rollback.h"
#include "bosh_libvirt_cpi/names/names.h"
#include "bosh_libvirt_cpi/network/address.h"
#include "bosh_libvirt_cpi/network/nic_plan.h"
#include "bosh_libvirt_cpi/stemcell/hosts.h"
#include "bosh_libvirt_cpi/stemcell/stemcell.h"
#include "bosh_libvirt_cpi/util/file_lock.h"
#include "bosh_libvirt_cpi/util/ids.h"
#include "bosh_libvirt_cpi/util/uri.h"
#include "bosh_libvirt_cpi/vm/domain_spec.h"
#include "bosh_libvirt_cpi/vm/mac_allocation.h"
#include "bosh_libvirt_cpi/vm/vm_properties.h"
#include "bosh_libvirt_cpi/vm/vm_service.h"
#include "bosh_libvirt_cpi/xml/document.h"
#include "bosh_libvirt_cpi/xml/render.h"

namespace cpi::vm {
namespace {

constexpr uint64_t kMiB = 1024 * 1024;

using stemcell::StemcellImage;

// In a multi-host config a host whose pool lacks the stemcell gets a copy from another host
// first (stemcell/hosts.h).
StemcellImage FindStemcellImage(host::Host& host, const CreateVmInput& in) {
  const std::string& cid = in.stemcell_cid;
  if (host.config().multi_host) {
    return stemcell::FindOrCopyStemcell(
        host, cid, in.open_host ? in.open_host : stemcell::OpenConfigured(host.config()));
  }
  std::optional<StemcellImage> image = stemcell::DescribeStemcell(host, cid);
  if (!image) {
    throw CloudError("stemcell " + Quote(cid) + " not found in pool " + Quote(host.pool_name()));
  }
  return std::move(*image);
}

void CheckNetworksExist(host::Host& host, const std::vector<network::Nic>& nics) {
  std::set<std::string> checked;
  for (const network::Nic& nic : nics) {
    if (nic.libvirt_network.empty() || !checked.insert(nic.libvirt_network).second) continue;
    if (!host.conn().HasNetwork(nic.libvirt_network)) {
      throw CloudError("libvirt network " + Quote(nic.libvirt_network) + " (BOSH network " +
                       Quote(nic.bosh_network) + ") does not exist on " +
                       Quote(util::RedactUri(host.conn().uri())));
    }
  }
}

// Every static IP on a libvirt network lies in one of that network's subnets: libvirt routes and
// NATs only those. Bridges are not checked (their IP plan is not libvirt's), nor networks without
// <ip>; a missing network is CheckNetworksExist's to report.
void CheckAddressesInSubnets(host::Host& host, const network::NicPlan& plan) {
  std::map<std::string, std::vector<network::Subnet>> subnets;  // libvirt network -> subnets
  for (const network::Nic& nic : plan.nics) {
    if (nic.libvirt_network.empty() || subnets.count(nic.libvirt_network) != 0) continue;
    std::optional<std::string> xml = host.conn().NetworkXml(nic.libvirt_network);
    subnets[nic.libvirt_network] =
        xml ? network::LibvirtNetworkSubnets(*xml) : std::vector<network::Subnet>{};
  }
  for (const auto& [name, spec] : plan.networks.items()) {
    if (!spec.contains("mac") || !spec.contains("ip") || !spec["ip"].is_string()) continue;
    if (spec.value("type", "manual") != "manual") continue;
    auto nic = std::find_if(plan.nics.begin(), plan.nics.end(),
                            [&](const network::Nic& n) { return n.mac == spec["mac"]; });
    if (nic == plan.nics.end() || nic->libvirt_network.empty()) continue;
    const std::vector<network::Subnet>& in = subnets[nic->libvirt_network];
    std::string ip_text = spec["ip"].get<std::string>();
    std::optional<network::Address> ip = network::ParseAddress(ip_text);
    if (in.empty() || !ip) continue;
    auto contains = [&](const network::Subnet& s) { return s.Contains(*ip); };
    if (std::none_of(in.begin(), in.end(), contains)) {
      std::string list;
      for (const network::Subnet& s : in) list += (list.empty() ? "" : ", ") + s.ToString();
      throw CpiError("network " + Quote(name) + ": ip " + Quote(ip_text) +
                     " is outside the subnet of libvirt network " + Quote(nic->libvirt_network) +
                     " (" + list + ")");
    }
  }
}

std::string VolumeXml(const std::string& name, uint64_t capacity, const std::string& format,
                      const StemcellImage* backing, const std::string& templates_dir) {
  xml::Data d;
  d.set("name", name);
  d.set("capacity_bytes", std::to_string(capacity));
  d.set("format", format);
  if (backing != nullptr) {
    d.set("backing_path", backing->path);
    d.set("backing_format", backing->format);
  }
  return xml::Render("vm-volume.xml", d, templates_dir);
}

}  // namespace

void RethrowCreationFailure(std::string_view step, CreationFailure when) {
  // A daemon lost or restarting: the Director retries create_vm only on a retryable
  // VMCreationFailed (a CloudError's ok_to_retry means nothing to it).
  bool retry = host::RetryMayHelp();
  try {
    if (step.empty()) throw;
    host::RethrowWithStep(step);
  } catch (const Error& e) {
    switch (when) {
      case CreationFailure::kBeforeChanges:
        if (retry) throw VmCreationFailed(e.what(), true);
        throw;
      case CreationFailure::kChangesUndone:
        // A full pool may have room again once other VMs are gone.
        throw VmCreationFailed(e.what(), retry || e.type() == ErrorType::kNoDiskSpace);
      case CreationFailure::kStarting:
        break;
    }
    throw VmCreationFailed(e.what(), retry);
  }
}

// Lock name per hypervisor: create_vm holds it shared, the cleanup command exclusively.
std::string CreationLockName(const std::string& uri) {
  std::string name = "creating-";
  for (char c : uri) name.push_back(std::isalnum(static_cast<unsigned char>(c)) ? c : '_');
  return name.substr(0, 120);
}

std::string EphemeralSerial(const std::string& vm_cid) {
  std::string hex;
  for (char c : vm_cid.substr(3)) {
    if (c != '-') hex.push_back(c);
  }
  return "eph-" + hex.substr(0, 16);
}

namespace {

// What create_vm reads and checks before its first change.
struct CheckedInput {
  VmProperties props;
  StemcellImage stemcell;
  std::string domain_type;
  size_t nic_count = 0;
};

// Step 1: everything is read and checked before the first side effect, so bad input changes
// nothing.
CheckedInput CheckInput(host::Host& host, const CreateVmInput& in) {
  const config::Config& config = host.config();
  CheckedInput checked;
  if (in.agent_id.empty()) throw CpiError("agent_id is empty");
  if (std::any_of(in.agent_id.begin(), in.agent_id.end(),
                  [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; })) {
    throw CpiError("agent_id " + Quote(in.agent_id) +
                   " contains a control character, which the VM's record (XML) cannot hold");
  }
  checked.props = ParseVmProperties(in.cloud_properties);
  if (config.agent.mbus.empty()) {
    throw CpiError("agent.mbus is not set in the CPI configuration; the agent needs it");
  }
  // Dry run of the plan to validate networks before touching the host.
  network::NicPlan dry_run =
      network::PlanNics(in.networks, host.settings().network, network::RandomMac);
  CheckAddressesInSubnets(host, dry_run);
  checked.nic_count = dry_run.nics.size();
  checked.stemcell = FindStemcellImage(host, in);
  checked.domain_type = host.DomainType();
  return checked;
}

// The NICs with the allocated MACs, in NIC order.
network::NicPlan PlanNicsWithMacs(host::Host& host, const CreateVmInput& in,
                                  const std::vector<std::string>& macs) {
  size_t next = 0;
  network::NicPlan plan =
      network::PlanNics(in.networks, host.settings().network, [&] { return macs.at(next++); });
  CheckNetworksExist(host, plan.nics);
  return plan;
}

DomainSpec BaseSpec(host::Host& host, const CreateVmInput& in, const CheckedInput& checked,
                    const std::string& cid, const network::NicPlan& plan) {
  const config::Config& config = host.config();
  DomainSpec spec;
  spec.name = cid;
  spec.title = cid;
  spec.domain_type = checked.domain_type;
  spec.machine_type = host.settings().machine_type;
  spec.agent_id = in.agent_id;
  spec.stemcell_cid = in.stemcell_cid;
  spec.pool = host.pool_name();
  spec.cpu = checked.props.cpu;
  spec.memory_mib = checked.props.memory_mib;
  spec.nics = plan.nics;
  spec.console_log =
      (boost::filesystem::path(host.settings().console_log_dir) / (cid + ".console.log")).string();
  spec.creating_since = static_cast<int64_t>(std::time(nullptr));
  return spec;
}

// Step 2a: the root disk (a thin qcow2 overlay on the stemcell, no copy, grown when asked) and
// the ephemeral disk, each noted in `undo`. Returns the ephemeral disk's serial.
std::optional<std::string> CreateDisks(virt::Pool& pool, const std::string& cid,
                                       const CheckedInput& checked,
                                       const std::string& templates_dir, host::Rollback& undo,
                                       DomainSpec& spec) {
  uint64_t root_capacity = checked.stemcell.capacity;
  if (checked.props.root_disk_mib) {
    root_capacity = std::max<uint64_t>(root_capacity, *checked.props.root_disk_mib * kMiB);
  }
  std::string root_name = names::RootVolume(cid);
  std::unique_ptr<virt::Volume> root = undo.MakeVolume(root_name, [&] {
    return pool.CreateVolume(
        VolumeXml(root_name, root_capacity, "qcow2", &checked.stemcell, templates_dir), root_name);
  });
  spec.disks.push_back({root->Path(), "qcow2", "vda", "root"});
  spec.volumes.push_back({"root", root_name});

  if (checked.props.ephemeral_disk_mib <= 0) return std::nullopt;
  std::string name = names::EphemeralVolume(cid);
  std::unique_ptr<virt::Volume> vol = undo.MakeVolume(name, [&] {
    return pool.CreateVolume(
        VolumeXml(name, static_cast<uint64_t>(checked.props.ephemeral_disk_mib) * kMiB, "qcow2",
                  nullptr, templates_dir),
        name);
  });
  std::string serial = EphemeralSerial(cid);
  spec.disks.push_back({vol->Path(), "qcow2", "vdb", serial});
  spec.volumes.push_back({"ephemeral", name});
  return serial;
}

// Step 2b: the agent settings on a config-2 ISO, uploaded as the VM's config volume (noted in
// `undo`).
void CreateConfigDrive(virt::Pool& pool, const config::Config& config, const CreateVmInput& in,
                       const std::string& cid, const network::NicPlan& plan,
                       const std::optional<std::string>& ephemeral_serial, host::Rollback& undo,
                       DomainSpec& spec) {
  agent::SettingsInput settings_in;
  settings_in.agent_id = in.agent_id;
  settings_in.vm_cid = cid;
  settings_in.agent = &config.agent;
  settings_in.networks = plan.networks;
  settings_in.ephemeral_serial = ephemeral_serial;
  settings_in.persistent = in.persistent_disks;
  settings_in.env = in.env.is_null() ? nlohmann::json::object() : in.env;
  nlohmann::json settings = agent::BuildSettings(settings_in);
  std::vector<std::string> type_errors = agent::CheckSettingsTypes(settings);
  if (!type_errors.empty()) {
    throw CpiError("agent settings would be rejected by the agent: " + type_errors.front());
  }
  std::string iso = agent::BuildConfigDriveIso({settings.dump(), agent::BuildMetaData(cid).dump()});
  std::string config_name = names::ConfigVolume(cid);
  std::unique_ptr<virt::Volume> config_vol = undo.MakeVolume(config_name, [&] {
    return pool.CreateVolume(
        VolumeXml(config_name, iso.size(), "raw", nullptr, config.templates_dir), config_name);
  });
  config_vol->UploadBytes(iso);
  spec.config_drive_path = config_vol->Path();
  spec.volumes.push_back({"config", config_name});
}

}  // namespace

CreatedVm CreateVm(host::Host& host, const CreateVmInput& in) {
  const config::Config& config = host.config();
  std::string cid;
  std::string step = "Creating VM for agent " + Quote(in.agent_id);

  CheckedInput checked;
  try {
    checked = CheckInput(host, in);
  } catch (...) {
    RethrowCreationFailure(step, CreationFailure::kBeforeChanges);
  }

  // Step 2: volumes, config drive and the domain's definition; on failure `undo` removes them
  // and proves them gone, reconnecting if the daemon was lost (host/rollback.h).
  auto started = std::chrono::steady_clock::now();
  // The stemcell's lock (shared: create_vms on one stemcell run side by side; delete_stemcell
  // takes it exclusively), held from before the root overlay exists until the call ends, after
  // the rollback, so delete_stemcell never sees the overlay without its domain
  // (docs/ARCHITECTURE.md §6).
  std::optional<util::FileLock> stemcell_lock;
  network::NicPlan plan = host::WithRollback(host, [&](host::Rollback& undo) {
    network::NicPlan nics;
    std::unique_ptr<virt::Domain> dom;
    try {
      stemcell_lock.emplace(config.lock_dir, stemcell::StemcellLockName(in.stemcell_cid),
                            util::LockMode::kShared);
      // A delete_stemcell may have finished between the check and the lock.
      checked.stemcell = FindStemcellImage(host, in);
      // Shared with every other create_vm; `cleanup` waits for it (it never sees our volumes
      // before our domain).
      util::FileLock creating(config.lock_dir, CreationLockName(host.settings().uri),
                              util::LockMode::kShared);
      // The CID and MACs unique on this host; their locks are kept until the domain is defined,
      // so the next process sees them in the domain list (vm/mac_allocation.h).
      auto allocating = std::chrono::steady_clock::now();
      MacAllocation macs = AllocateMacs(host.conn(), config.lock_dir, checked.nic_count, nullptr,
                                        nullptr, host.key());
      cid = macs.cid;
      spdlog::debug("allocated {} MAC(s) for VM '{}' in {} us", macs.macs.size(), cid,
                    std::chrono::duration_cast<std::chrono::microseconds>(
                        std::chrono::steady_clock::now() - allocating)
                        .count());
      nics = PlanNicsWithMacs(host, in, macs.macs);
      virt::Pool& pool = host.Pool();
      DomainSpec spec = BaseSpec(host, in, checked, cid, nics);
      std::optional<std::string> ephemeral_serial =
          CreateDisks(pool, cid, checked, config.templates_dir, undo, spec);
      CreateConfigDrive(pool, config, in, cid, nics, ephemeral_serial, undo, spec);
      std::string domain_xml = RenderDomainXml(spec, config.templates_dir);
      dom = undo.MakeDomain(cid, [&] { return host.conn().DefineDomain(domain_xml, cid); });
    } catch (...) {
      RethrowCreationFailure(step, CreationFailure::kChangesUndone);
    }

    // Step 3: start it and hand it over.
    try {
      dom->Start();
      // The last step before answering: from here on the domain is the Director's (cleanup
      // removes domains that still carry the marker).
      dom->SetMetadata("", kCreatingPrefix, kCreatingNamespace);
    } catch (...) {
      RethrowCreationFailure(step + ": starting VM " + Quote(cid), CreationFailure::kStarting);
    }
    return nics;
  });
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                  started)
                .count();
  spdlog::info("created VM '{}' from stemcell '{}' with {} NIC(s) in {} ms", cid, in.stemcell_cid,
               plan.nics.size(), ms);
  return CreatedVm{cid, plan.networks};
}

}  // namespace cpi::vm
