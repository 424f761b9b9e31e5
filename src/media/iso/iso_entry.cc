// The ISO module's entry point (iso_module.h): the hypervisor module dlopens it for the calls that
// build or read config drives.
#include "bosh_libvirt_cpi/media/iso_module.h"
#include "iso_impl.h"

namespace cpi::media {
namespace {

constexpr IsoModule kModule{kIsoAbiVersion, &WriteConfigDriveIso, &ReadConfigDriveIso};

}  // namespace
}  // namespace cpi::media

extern "C" const cpi::media::IsoModule* bosh_libvirt_cpi_iso_module() {
  return &cpi::media::kModule;
}
