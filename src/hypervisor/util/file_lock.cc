#include "bosh_libvirt_cpi/util/file_lock.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <boost/filesystem.hpp>

#include "bosh_libvirt_cpi/errors.h"

namespace cpi::util {
namespace {

constexpr std::string_view kSuffix = ".lock";

// Whether `fd` is still the file at `path` (the previous holder may have removed it after we
// opened it: then we hold the lock of an inode nobody else will ever lock again).
bool IsCurrent(int fd, const std::string& path) {
  struct stat held = {};
  struct stat now = {};
  return fstat(fd, &held) == 0 && stat(path.c_str(), &now) == 0 && held.st_dev == now.st_dev &&
         held.st_ino == now.st_ino;
}

}  // namespace

FileLock::FileLock(const std::string& dir, const std::string& name, LockMode mode)
    : shared_(mode == LockMode::kShared) {
  Acquire(dir, name, shared_ ? LOCK_SH : LOCK_EX);
}

std::unique_ptr<FileLock> FileLock::TryExclusive(const std::string& dir, const std::string& name) {
  std::unique_ptr<FileLock> lock(new FileLock());
  if (!lock->Acquire(dir, name, LOCK_EX | LOCK_NB)) return nullptr;
  return lock;
}

bool FileLock::Acquire(const std::string& dir, const std::string& name, int op) {
  boost::system::error_code ec;
  boost::filesystem::create_directories(dir, ec);
  if (ec) throw CloudError("creating lock directory " + Quote(dir) + ": " + ec.message());
  path_ = (boost::filesystem::path(dir) / (name + std::string(kSuffix))).string();
  for (;;) {
    fd_.reset(open(path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
    if (!fd_) {
      throw CloudError("opening lock file " + Quote(path_) + ": " + std::strerror(errno));
    }
    while (flock(fd_.get(), op) != 0) {
      if (errno == EINTR) continue;
      int err = errno;
      fd_.reset();
      if (err == EWOULDBLOCK && (op & LOCK_NB) != 0) return false;
      throw CloudError("locking " + Quote(path_) + ": " + std::strerror(err));
    }
    if (IsCurrent(fd_.get(), path_)) return true;
    fd_.reset();
  }
}

FileLock::~FileLock() {
  if (!fd_) return;
  // Removed while still held exclusively, so nobody can lock this inode after us and believe it
  // is current. A shared holder that cannot have it alone leaves it to the last one.
  if (!shared_ || flock(fd_.get(), LOCK_EX | LOCK_NB) == 0) unlink(path_.c_str());
  fd_.reset();  // closing releases the flock
}

int RemoveStaleLocks(const std::string& dir, const std::string& prefix) {
  std::unique_ptr<DIR, int (*)(DIR*)> d(opendir(dir.c_str()), closedir);
  if (!d) return 0;
  int removed = 0;
  while (const dirent* e = readdir(d.get())) {
    std::string_view name = e->d_name;
    if (name.size() <= prefix.size() + kSuffix.size() || name.substr(0, prefix.size()) != prefix ||
        name.substr(name.size() - kSuffix.size()) != kSuffix) {
      continue;
    }
    std::string path = dir + "/" + std::string(name);
    UniqueFd fd(open(path.c_str(), O_RDWR | O_CLOEXEC | O_NOFOLLOW));
    if (!fd || flock(fd.get(), LOCK_EX | LOCK_NB) != 0) continue;  // gone, or held
    if (IsCurrent(fd.get(), path) && unlink(path.c_str()) == 0) ++removed;
  }
  return removed;
}

}  // namespace cpi::util
