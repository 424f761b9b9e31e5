#pragma once

#include <cstddef>
#include <optional>
#include <string>

#include "bosh_libvirt_cpi/media/disk_image.h"

// The archive module (libbosh-libvirt-cpi-archive.so): reading a stemcell tarball's root.img with
// libarchive (gzip, tar), its CRC-32 and qcow2 header checks. Only create_stemcell loads it, so
// that no other method maps libarchive and the compression libraries it links (bz2, lz4, lzma,
// zstd) (BENCHMARKS.md, peak RSS). stemcell::RootImage forwards to it.
namespace cpi::media {

// Bumped whenever this table or the types it passes change.
inline constexpr int kArchiveAbiVersion = 1;

struct ArchiveModule {
  int abi_version;
  // A stemcell's root.img as a byte stream: open returns a handle (never null; throws
  // cpi::Error) and fills `info`; read returns 0 at the end (after verifying the gzip checksum);
  // close frees the handle.
  void* (*open_root_image)(const std::string& path, std::optional<ImageFormat> claimed,
                           ImageInfo* info);
  size_t (*read_root_image)(void* handle, char* buf, size_t size);
  void (*close_root_image)(void* handle);
};

// The module, found as Iso() finds its own ($BOSH_LIBVIRT_CPI_ARCHIVE_MODULE overrides the path).
// Throws cpi::Error.
const ArchiveModule& Archive();

}  // namespace cpi::media

// Defined by the archive module.
extern "C" const cpi::media::ArchiveModule* bosh_libvirt_cpi_archive_module();
