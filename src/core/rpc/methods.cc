#include "bosh_libvirt_cpi/rpc/methods.h"

#include "bosh_libvirt_cpi/disk/disk_model.h"

namespace cpi::rpc {
namespace {

using K = ArgKind;
using disk::kMaxDiskMib;

constexpr ArgSpec kCreateStemcell[] = {
    {"image_path", K::kString}, {"cloud_properties", K::kObject}, {"env", K::kAny, true}};
constexpr ArgSpec kStemcellCid[] = {{"stemcell_cid", K::kString}};
constexpr ArgSpec kCreateVm[] = {{"agent_id", K::kString},         {"stemcell_cid", K::kString},
                                 {"cloud_properties", K::kObject}, {"networks", K::kObject},
                                 {"disk_cids", K::kArrayOrNull},   {"env", K::kObjectOrNull}};
constexpr ArgSpec kVmCid[] = {{"vm_cid", K::kString}};
constexpr ArgSpec kSetVmMetadata[] = {{"vm_cid", K::kString}, {"metadata", K::kObject}};
constexpr ArgSpec kConfigureNetworks[] = {{"vm_cid", K::kString}, {"networks", K::kObject}};
constexpr ArgSpec kVmResources[] = {{"vm_resources", K::kObject}};
constexpr ArgSpec kCreateDisk[] = {{"size", K::kInteger, false, 1, kMaxDiskMib, "MiB"},
                                   {"cloud_properties", K::kObjectOrNull},
                                   {"vm_cid", K::kStringOrNull}};
constexpr ArgSpec kDiskCid[] = {{"disk_cid", K::kString}};
constexpr ArgSpec kResizeDisk[] = {{"disk_cid", K::kString},
                                   {"new_size", K::kInteger, false, 1, kMaxDiskMib, "MiB"}};
constexpr ArgSpec kUpdateDisk[] = {{"disk_cid", K::kString},
                                   {"new_size", K::kInteger, false, 1, kMaxDiskMib, "MiB"},
                                   {"cloud_properties", K::kObjectOrNull}};
constexpr ArgSpec kVmDisk[] = {{"vm_cid", K::kString}, {"disk_cid", K::kString}};
constexpr ArgSpec kSetDiskMetadata[] = {{"disk_cid", K::kString}, {"metadata", K::kObject}};
constexpr ArgSpec kSnapshotDisk[] = {{"disk_cid", K::kString}, {"metadata", K::kObjectOrNull}};
constexpr ArgSpec kSnapshotCid[] = {{"snapshot_cid", K::kString}};

using enum Where;

// Like ninja's tool table: one row per wire name.
constexpr Method kMethods[] = {
    {"info", kCore, {}, false},
    {"create_stemcell", kHypervisor, kCreateStemcell, true},
    {"delete_stemcell", kHypervisor, kStemcellCid, true},
    {"create_vm", kHypervisor, kCreateVm, true},
    {"delete_vm", kHypervisor, kVmCid, true},
    {"has_vm", kHypervisor, kVmCid, true},
    {"reboot_vm", kHypervisor, kVmCid, true},
    {"set_vm_metadata", kHypervisor, kSetVmMetadata, true},
    {"configure_networks", kCore, kConfigureNetworks, false},
    {"calculate_vm_cloud_properties", kCore, kVmResources, false},
    {"current_vm_id", kHypervisor, {}, true},
    {"create_disk", kHypervisor, kCreateDisk, true},
    {"delete_disk", kHypervisor, kDiskCid, true},
    {"has_disk", kHypervisor, kDiskCid, true},
    {"attach_disk", kHypervisor, kVmDisk, true},
    {"detach_disk", kHypervisor, kVmDisk, true},
    {"resize_disk", kHypervisor, kResizeDisk, true},
    {"update_disk", kHypervisor, kUpdateDisk, true},
    {"set_disk_metadata", kHypervisor, kSetDiskMetadata, true},
    {"get_disks", kHypervisor, kVmCid, true},
    {"snapshot_disk", kHypervisor, kSnapshotDisk, true},
    {"delete_snapshot", kHypervisor, kSnapshotCid, true},
};

}  // namespace

std::span<const Method> Methods() { return kMethods; }

const Method* FindMethod(std::string_view name) {
  for (const Method& m : kMethods) {
    if (m.name == name) return &m;
  }
  return nullptr;
}

}  // namespace cpi::rpc
