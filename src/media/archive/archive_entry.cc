// The archive module's entry point (archive_module.h): the hypervisor module dlopens it for
// create_stemcell.
#include "archive_impl.h"
#include "bosh_libvirt_cpi/media/archive_module.h"

namespace cpi::media {
namespace {

void* OpenRootImage(const std::string& path, std::optional<ImageFormat> claimed, ImageInfo* info) {
  std::unique_ptr<RootImageReader> reader = RootImageReader::Open(path, claimed);
  *info = reader->info();
  return reader.release();
}

size_t ReadRootImage(void* handle, char* buf, size_t size) {
  return static_cast<RootImageReader*>(handle)->Read(buf, size);
}

void CloseRootImage(void* handle) { delete static_cast<RootImageReader*>(handle); }

constexpr ArchiveModule kModule{kArchiveAbiVersion, &OpenRootImage, &ReadRootImage,
                                &CloseRootImage};

}  // namespace
}  // namespace cpi::media

extern "C" const cpi::media::ArchiveModule* bosh_libvirt_cpi_archive_module() {
  return &cpi::media::kModule;
}
