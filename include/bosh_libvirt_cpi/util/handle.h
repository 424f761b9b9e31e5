#pragma once

#include <unistd.h>

#include <cstdlib>
#include <memory>
#include <utility>

// Owning C handles, one style for every C library the CPI uses (libvirt, libisofs, libarchive,
// libguestfs, plain file descriptors): nothing leaks on any path (success, exception, early
// return).
namespace cpi::util {

// Frees a pointer with the library's own function; stateless, so the owning pointer stays one
// word.
template <auto FreeFn>
struct Deleter {
  template <typename T>
  void operator()(T* p) const {
    if (p != nullptr) FreeFn(p);
  }
};

// An owning pointer to a C object freed by `FreeFn`, e.g. Handle<IsoImage, iso_image_unref>.
template <typename T, auto FreeFn>
using Handle = std::unique_ptr<T, Deleter<FreeFn>>;

// Memory the C library allocated with malloc (strings, buffers).
template <typename T>
using Malloced = Handle<T, std::free>;

// A file descriptor, closed when the owner goes; -1 owns nothing.
class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(UniqueFd&& other) noexcept : fd_(other.release()) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept {
    reset(other.release());
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd() { reset(); }

  int get() const { return fd_; }
  explicit operator bool() const { return fd_ >= 0; }
  int release() { return std::exchange(fd_, -1); }
  // Closes the descriptor held (if any) and owns `fd` instead.
  void reset(int fd = -1) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
  }

 private:
  int fd_ = -1;
};

}  // namespace cpi::util
