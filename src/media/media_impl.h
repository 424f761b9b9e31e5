#pragma once

// The media module's own functions (media_module.h has the table the hypervisor module sees).
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "bosh_libvirt_cpi/agent/config_drive.h"
#include "bosh_libvirt_cpi/stemcell/image.h"

namespace cpi::media {

// Initialises libisofs once per process for both config-drive directions: the process locale
// left alone, nothing printed, failures queued (their text travels in exceptions). Throws
// cpi::Error (CloudError) "<purpose>: initializing libisofs: …".
void InitLibisofs(const std::string& purpose);

// agent::BuildConfigDriveIso's work (config_drive.h documents the image).
std::string WriteConfigDriveIso(const agent::ConfigDriveFiles& files);

// disk::ReadConfigDriveIso's work (config_drive_reader.h).
agent::ConfigDriveFiles ReadConfigDriveIso(std::string_view iso);

// stemcell::RootImage's work (image.h): the tarball read by libarchive, gzip CRC checked.
class RootImageReader {
 public:
  static std::unique_ptr<RootImageReader> Open(const std::string& path,
                                               std::optional<stemcell::ImageFormat> claimed);
  ~RootImageReader();

  const stemcell::ImageInfo& info() const;
  size_t Read(char* buf, size_t size);

 private:
  struct State;
  explicit RootImageReader(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

}  // namespace cpi::media
