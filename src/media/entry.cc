// The media module's entry point (media_module.h): the hypervisor module dlopens it for the calls
// that read stemcell tarballs or build and read config drives.
#include "bosh_libvirt_cpi/media/media_module.h"
#include "media_impl.h"

namespace cpi::media {
namespace {

void* OpenRootImage(const std::string& path, std::optional<stemcell::ImageFormat> claimed,
                    stemcell::ImageInfo* info) {
  std::unique_ptr<RootImageReader> reader = RootImageReader::Open(path, claimed);
  *info = reader->info();
  return reader.release();
}

size_t ReadRootImage(void* handle, char* buf, size_t size) {
  return static_cast<RootImageReader*>(handle)->Read(buf, size);
}

void CloseRootImage(void* handle) { delete static_cast<RootImageReader*>(handle); }

constexpr MediaModule kModule{kMediaAbiVersion, &WriteConfigDriveIso, &ReadConfigDriveIso,
                              &OpenRootImage,   &ReadRootImage,       &CloseRootImage};

}  // namespace
}  // namespace cpi::media

extern "C" const cpi::media::MediaModule* bosh_libvirt_cpi_media_module() {
  return &cpi::media::kModule;
}
