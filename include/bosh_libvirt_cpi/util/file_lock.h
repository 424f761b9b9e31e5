#pragma once

#include <string>

namespace cpi::util {

// An exclusive flock(2) on <dir>/<name>.lock, held until destruction: serialises
// read-modify-write of shared state (MAC allocation, device targets of one domain) across the
// many CPI processes BOSH runs at once. The directory is created when missing. Lock files are
// left in place (removing them would race with waiters); they are empty.
class FileLock {
 public:
  // Blocks until the lock is held. Throws cpi::Error (CloudError) when the file cannot be opened.
  FileLock(const std::string& dir, const std::string& name);
  ~FileLock();
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;

 private:
  int fd_ = -1;
};

}  // namespace cpi::util
