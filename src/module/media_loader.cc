// Finding the media module (media_module.h) from the hypervisor module.
#include "bosh_libvirt_cpi/errors.h"
#include "bosh_libvirt_cpi/media/media_module.h"
#include "bosh_libvirt_cpi/module/loader.h"

// Weak: present only when the media module's objects are linked in (test binary, diagnose tool).
extern "C" const cpi::media::MediaModule* bosh_libvirt_cpi_media_module() __attribute__((weak));

namespace cpi::media {
namespace {

constexpr const char* kMediaFile = "libbosh-libvirt-cpi-media.so";

const MediaModule* Check(const MediaModule* m, const std::string& where) {
  if (m == nullptr || m->abi_version != kMediaAbiVersion || m->write_config_drive == nullptr ||
      m->read_config_drive == nullptr || m->open_root_image == nullptr ||
      m->read_root_image == nullptr || m->close_root_image == nullptr) {
    throw CpiError("Loading media module " + Quote(where) +
                   ": it was built for a different version of bosh-libvirt-cpi");
  }
  return m;
}

}  // namespace

const MediaModule& Media() {
  static const MediaModule* loaded = nullptr;
  if (loaded != nullptr) return *loaded;
  if (&bosh_libvirt_cpi_media_module != nullptr) {
    loaded = Check(bosh_libvirt_cpi_media_module(), "(linked in)");
    return *loaded;
  }
  auto entry = reinterpret_cast<const MediaModule* (*)()>(
      module::LoadEntryPoint(kMediaFile, "BOSH_LIBVIRT_CPI_MEDIA_MODULE",
                             "bosh_libvirt_cpi_media_module", "media module"));
  loaded = Check(entry(), kMediaFile);
  return *loaded;
}

}  // namespace cpi::media
