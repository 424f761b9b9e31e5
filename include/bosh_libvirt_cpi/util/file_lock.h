#pragma once

#include <memory>
#include <string>

#include "bosh_libvirt_cpi/util/handle.h"

namespace cpi::util {

enum class LockMode {
  kExclusive,  // one holder
  kShared,     // any number of shared holders, no exclusive one
};

// A flock(2) on <dir>/<name>.lock, held until destruction: serialises read-modify-write of
// shared state (device targets of one domain, one disk, one MAC address) across the many CPI
// processes BOSH runs at once. The directory is created when missing. The holder removes the file
// when it releases the lock, so lock files do not pile up (one per disk and VM ever seen); a
// shared holder removes it only when it can take the lock exclusively at release (it is the last
// one). A waiter that wakes up holding the lock of a file that was removed meanwhile (its inode is
// no longer the one at the path) starts over. A process that dies holding the lock releases it
// (the kernel drops the flock) and leaves an empty file, which the next holder removes, or
// RemoveStaleLocks when nobody takes that lock again.
class FileLock {
 public:
  // Blocks until the lock is held. Throws cpi::Error (CloudError) when the file cannot be opened.
  FileLock(const std::string& dir, const std::string& name, LockMode mode = LockMode::kExclusive);
  ~FileLock();
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;

  // The exclusive lock if nobody holds it now, else nullptr (never waits).
  static std::unique_ptr<FileLock> TryExclusive(const std::string& dir, const std::string& name);

 private:
  FileLock() = default;
  // Takes the lock with flock operation `op`; false when LOCK_NB was asked and it is held.
  bool Acquire(const std::string& dir, const std::string& name, int op);

  UniqueFd fd_;
  std::string path_;
  bool shared_ = false;
};

// Removes the lock files in `dir` whose name starts with `prefix` that nobody holds (left by
// killed holders of locks nobody takes again, e.g. a MAC's), under the protocol above: each is
// taken exclusively without waiting before it is removed. Returns how many were removed. A missing
// `dir` is empty.
int RemoveStaleLocks(const std::string& dir, const std::string& prefix);

}  // namespace cpi::util
