// Finding the ISO and archive modules (iso_module.h, archive_module.h) from the hypervisor module.
#include "bosh_libvirt_cpi/media/archive_module.h"
#include "bosh_libvirt_cpi/media/iso_module.h"
#include "bosh_libvirt_cpi/module/loader.h"

// Weak: present only when the modules' objects are linked in (the test binary, the diagnose tool).
extern "C" const cpi::media::IsoModule* bosh_libvirt_cpi_iso_module() __attribute__((weak));
extern "C" const cpi::media::ArchiveModule* bosh_libvirt_cpi_archive_module() __attribute__((weak));

namespace cpi::media {
namespace {

bool Complete(const IsoModule& m) {
  return m.abi_version == kIsoAbiVersion && m.write_config_drive != nullptr &&
         m.read_config_drive != nullptr;
}

bool Complete(const ArchiveModule& m) {
  return m.abi_version == kArchiveAbiVersion && m.open_root_image != nullptr &&
         m.read_root_image != nullptr && m.close_root_image != nullptr;
}

}  // namespace

const IsoModule& Iso() {
  static const IsoModule& table =
      module::LoadTable<IsoModule>({"libbosh-libvirt-cpi-iso.so", "BOSH_LIBVIRT_CPI_ISO_MODULE",
                                    "bosh_libvirt_cpi_iso_module", "ISO module"},
                                   &bosh_libvirt_cpi_iso_module, &Complete);
  return table;
}

const ArchiveModule& Archive() {
  static const ArchiveModule& table = module::LoadTable<ArchiveModule>(
      {"libbosh-libvirt-cpi-archive.so", "BOSH_LIBVIRT_CPI_ARCHIVE_MODULE",
       "bosh_libvirt_cpi_archive_module", "archive module"},
      &bosh_libvirt_cpi_archive_module, &Complete);
  return table;
}

}  // namespace cpi::media
