#pragma once

// The archive module's own functions (archive_module.h has the table the hypervisor module sees).
#include <memory>
#include <optional>
#include <string>

#include "bosh_libvirt_cpi/media/disk_image.h"

namespace cpi::media {

// stemcell::RootImage's work (image.h): the tarball read by libarchive, gzip CRC checked.
class RootImageReader {
 public:
  static std::unique_ptr<RootImageReader> Open(const std::string& path,
                                               std::optional<ImageFormat> claimed);
  ~RootImageReader();

  const ImageInfo& info() const;
  size_t Read(char* buf, size_t size);

 private:
  struct State;
  explicit RootImageReader(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

}  // namespace cpi::media
