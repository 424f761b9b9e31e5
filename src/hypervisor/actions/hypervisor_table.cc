#include "bosh_libvirt_cpi/actions/disk_actions.h"
#include "bosh_libvirt_cpi/actions/hypervisor_actions.h"
#include "bosh_libvirt_cpi/actions/stemcell_actions.h"
#include "bosh_libvirt_cpi/actions/vm_actions.h"

namespace cpi::actions {
namespace {

// Methods implemented in the module, one line each (keep one entry per line: several people add
// to this table). The core's table (src/core/rpc/methods.cc) lists every contract method with its
// arguments; tests/unit/method_table_test.cc fails when the two disagree.
constexpr HypervisorAction kActions[] = {
    {"create_stemcell", &CreateStemcell},
    {"delete_stemcell", &DeleteStemcell},
    {"create_vm", &CreateVm},
    {"delete_vm", &DeleteVm},
    {"has_vm", &HasVm},
    {"reboot_vm", &RebootVm},
    {"set_vm_metadata", &SetVmMetadata},
    {"current_vm_id", &CurrentVmId},
    {"create_disk", &CreateDisk},
    {"delete_disk", &DeleteDisk},
    {"has_disk", &HasDisk},
    {"attach_disk", &AttachDisk},
    {"detach_disk", &DetachDisk},
    {"resize_disk", &ResizeDisk},
    {"update_disk", &UpdateDisk},
    {"set_disk_metadata", &SetDiskMetadata},
    {"get_disks", &GetDisks},
    {"snapshot_disk", &SnapshotDisk},
    {"delete_snapshot", &DeleteSnapshot},
};

}  // namespace

std::span<const HypervisorAction> HypervisorActions() { return kActions; }

rpc::Handler FindHypervisorAction(std::string_view method) { return FindAction(kActions, method); }

}  // namespace cpi::actions
