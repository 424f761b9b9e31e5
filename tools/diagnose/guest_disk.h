#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <guestfs.h>

#include "bosh_libvirt_cpi/util/handle.h"

// Read-only access to a VM's disk images through libguestfs. Each GuestDisks boots one libguestfs
// appliance (a small qemu VM; ~15-25 s under TCG on our machines, environment.md §6), so a caller
// attaches every disk it needs up front and launches once.
namespace cpi::diagnose {

using GuestfsPtr = util::Handle<guestfs_h, guestfs_close>;

// One disk image on this machine.
struct Drive {
  std::string path;
  std::string format;  // qcow2 | raw
  std::string name;    // what messages call it (the volume name)
};

// A filesystem libguestfs found on the drives.
struct Filesystem {
  std::string device;  // /dev/sda1, /dev/sdb, /dev/vg/lv
  std::string type;    // vfat, ext4, swap, unknown, ...
  std::string drive;   // Drive::name of the disk it lives on ("" when libguestfs cannot tell)
};

// The end of a file read from a guest filesystem.
struct FileTail {
  uint64_t size = 0;  // the whole file
  std::string data;   // its last bytes (all of it when size <= the limit)
  bool truncated() const { return data.size() < size; }
};

class GuestDisks {
 public:
  // Adds every drive read-only (libguestfs puts a throw-away overlay in front; the images are
  // never written, and a running VM keeps running) and boots the appliance with the `direct`
  // backend under TCG (`force_tcg`: this machine's KVM cannot run it). Throws cpi::Error naming
  // the step and libguestfs's last error.
  static GuestDisks Launch(const std::vector<Drive>& drives);

  // Every filesystem on the drives, including swap and "unknown" (blank or unrecognised) ones.
  // Throws cpi::Error.
  std::vector<Filesystem> ListFilesystems();

  // Mounts `device` read-only at the appliance's root, unmounting whatever was there. Returns the
  // libguestfs error message when it cannot be mounted, nullopt on success.
  std::optional<std::string> MountReadOnly(const std::string& device);

  // Whether `path` is a regular file (symlinks followed) on the mounted filesystem; false for
  // missing paths and parents.
  bool IsFile(const std::string& path);

  // The last `max_bytes` of a regular file. Throws cpi::Error naming the path.
  FileTail Tail(const std::string& path, uint64_t max_bytes);

 private:
  explicit GuestDisks(GuestfsPtr g, std::vector<Drive> drives)
      : g_(std::move(g)), drives_(std::move(drives)) {}

  // The cpi::Error for a failed libguestfs call: "<step>: <guestfs_last_error>".
  [[noreturn]] void Fail(const std::string& step) const;

  GuestfsPtr g_;
  std::vector<Drive> drives_;
  std::vector<std::string> devices_;  // guestfs_list_devices, in the order drives were added
  bool mounted_ = false;
};

}  // namespace cpi::diagnose
