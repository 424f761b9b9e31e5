#include "bosh_libvirt_cpi/actions/disk_actions.h"
#include "bosh_libvirt_cpi/disk/disk_service.h"

namespace cpi::actions {

// resize_disk(disk_cid, new_size_mib): grows the volume; the same size is a no-op, shrinking is
// NotSupported (the Director then creates a new disk and migrates), a missing disk DiskNotFound.
nlohmann::json ResizeDisk(const rpc::Call& call) {
  std::string cid = call.args.String(0);
  int64_t size_mib = call.args.Integer(1);
  std::string step = "Resizing disk " + Quote(cid) + " to " + std::to_string(size_mib) + " MiB";
  try {
    disk::DiskSizeBytes(size_mib);
  } catch (...) {
    RethrowWithStep(step, ErrorType::kCpiError);
  }
  host::OnHost(call.Config(), cid, step,
               [&](host::Host& host) { disk::ResizeDisk(host, cid, size_mib); });
  return nullptr;
}

}  // namespace cpi::actions
