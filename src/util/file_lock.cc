#include "bosh_libvirt_cpi/util/file_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <boost/filesystem.hpp>

#include "bosh_libvirt_cpi/errors.h"

namespace cpi::util {

FileLock::FileLock(const std::string& dir, const std::string& name, Mode mode) : mode_(mode) {
  boost::system::error_code ec;
  boost::filesystem::create_directories(dir, ec);
  if (ec) throw CloudError("creating lock directory " + Quote(dir) + ": " + ec.message());
  path_ = (boost::filesystem::path(dir) / (name + ".lock")).string();
  for (;;) {
    fd_.reset(open(path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
    if (!fd_) {
      throw CloudError("opening lock file " + Quote(path_) + ": " + std::strerror(errno));
    }
    while (flock(fd_.get(), mode == Mode::kShared ? LOCK_SH : LOCK_EX) != 0) {
      if (errno == EINTR) continue;
      int err = errno;
      fd_.reset();
      throw CloudError("locking " + Quote(path_) + ": " + std::strerror(err));
    }
    // The previous holder may have removed the file after we opened it: then we hold the lock of
    // an inode nobody else will ever lock again, and must lock the file now at the path instead.
    struct stat held = {};
    struct stat now = {};
    if (fstat(fd_.get(), &held) == 0 && stat(path_.c_str(), &now) == 0 &&
        held.st_dev == now.st_dev && held.st_ino == now.st_ino) {
      return;
    }
    fd_.reset();
  }
}

FileLock::~FileLock() {
  if (!fd_) return;
  // Removed while held exclusively, so nobody can lock this inode after us and believe it is
  // current. A shared holder that cannot get the lock exclusively at once is not the last one
  // (a failed conversion drops its shared lock, which it is releasing anyway): the last one
  // removes the file.
  if (mode_ == Mode::kExclusive || flock(fd_.get(), LOCK_EX | LOCK_NB) == 0) unlink(path_.c_str());
  fd_.reset();  // closing releases the flock
}

}  // namespace cpi::util
