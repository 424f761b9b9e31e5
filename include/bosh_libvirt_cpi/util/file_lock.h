#pragma once

#include <string>

#include "bosh_libvirt_cpi/util/handle.h"

namespace cpi::util {

// A flock(2) on <dir>/<name>.lock, held until destruction: serialises read-modify-write of
// shared state (MAC allocation, device targets of one domain) across the many CPI processes BOSH
// runs at once. Exclusive by default; shared holders (create_vm on a stemcell) exclude only the
// exclusive ones (delete_stemcell). The directory is created when missing. The holder removes
// the file when it releases the lock, so lock files do not pile up (one per disk and VM ever
// seen); a waiter that wakes up holding the lock of a file that was removed meanwhile (its inode
// is no longer the one at the path) starts over. A shared holder removes the file only when it
// can turn its lock into an exclusive one without waiting (it is the last holder); of several
// shared holders releasing at once at least one succeeds. A process that dies holding the lock
// releases it (the kernel drops the flock) and leaves an empty file, which the next holder
// removes.
class FileLock {
 public:
  enum class Mode { kExclusive, kShared };

  // Blocks until the lock is held. Throws cpi::Error (CloudError) when the file cannot be opened.
  FileLock(const std::string& dir, const std::string& name, Mode mode = Mode::kExclusive);
  ~FileLock();
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;

 private:
  UniqueFd fd_;
  std::string path_;
  Mode mode_;
};

}  // namespace cpi::util
