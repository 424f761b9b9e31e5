#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "bosh_libvirt_cpi/agent/config_drive.h"
#include "bosh_libvirt_cpi/stemcell/image.h"

// The media module (libbosh-libvirt-cpi-media.so): the code that needs libarchive (reading a
// stemcell's image) or libisofs (building and reading config drives). The hypervisor module
// loads it only when a call gets there — create_stemcell, create_vm, an API v1 attach/detach —
// so that every other method does not map those libraries and their dependencies (BENCHMARKS.md:
// ~0.45 MiB of peak RSS and five libraries to relocate per call). The public functions
// (agent::BuildConfigDriveIso, disk::ReadConfigDriveIso, stemcell::RootImage) forward to it.
namespace cpi::media {

// Bumped whenever this table or the types it passes change.
inline constexpr int kMediaAbiVersion = 1;

struct MediaModule {
  int abi_version;
  std::string (*write_config_drive)(const agent::ConfigDriveFiles& files);
  agent::ConfigDriveFiles (*read_config_drive)(std::string_view iso);
  // A stemcell's root.img as a byte stream: open returns a handle (never null; throws
  // cpi::Error) and fills `info`; read returns 0 at the end (after verifying the gzip checksum);
  // close frees the handle.
  void* (*open_root_image)(const std::string& path, std::optional<stemcell::ImageFormat> claimed,
                           stemcell::ImageInfo* info);
  size_t (*read_root_image)(void* handle, char* buf, size_t size);
  void (*close_root_image)(void* handle);
};

// The module, loaded on first use from beside the hypervisor module's executable (or
// ../lib/bosh-libvirt-cpi/, or $BOSH_LIBVIRT_CPI_MEDIA_MODULE); the linked-in copy when the
// running program contains it (the test binary, the diagnose tool). Throws cpi::Error.
const MediaModule& Media();

}  // namespace cpi::media

// Defined by the media module.
extern "C" const cpi::media::MediaModule* bosh_libvirt_cpi_media_module();
