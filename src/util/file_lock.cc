#include "bosh_libvirt_cpi/util/file_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <boost/filesystem.hpp>

#include "bosh_libvirt_cpi/errors.h"

namespace cpi::util {

FileLock::FileLock(const std::string& dir, const std::string& name) {
  boost::system::error_code ec;
  boost::filesystem::create_directories(dir, ec);
  if (ec) throw CloudError("creating lock directory " + Quote(dir) + ": " + ec.message());
  std::string path = dir + "/" + name + ".lock";
  fd_ = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd_ < 0) throw CloudError("opening lock file " + Quote(path) + ": " + std::strerror(errno));
  while (flock(fd_, LOCK_EX) != 0) {
    if (errno == EINTR) continue;
    int err = errno;
    close(fd_);
    throw CloudError("locking " + Quote(path) + ": " + std::strerror(err));
  }
}

FileLock::~FileLock() {
  if (fd_ >= 0) close(fd_);  // closing releases the flock
}

}  // namespace cpi::util
