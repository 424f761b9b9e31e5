// The qcow2 header checks of stemcell import (image.h), in the archive module with the reader that
// uses them.
#include <string>

#include "bosh_libvirt_cpi/errors.h"
#include "bosh_libvirt_cpi/media/disk_image.h"

namespace cpi::media {
namespace {

constexpr std::string_view kQcow2Magic("QFI\xfb", 4);

// qcow2 header fields (all big-endian), see qemu's docs/interop/qcow2.txt.
constexpr size_t kVersionOffset = 4;                // u32
constexpr size_t kBackingFileOffsetOffset = 8;      // u64, 0 = no backing file
constexpr size_t kSizeOffset = 24;                  // u64, virtual size in bytes
constexpr size_t kIncompatibleFeaturesOffset = 72;  // u64, version 3 only
constexpr uint64_t kExternalDataFileBit = 1u << 2;

uint64_t BigEndian(std::string_view bytes, size_t offset, size_t width) {
  uint64_t v = 0;
  for (size_t i = 0; i < width; ++i) {
    v = (v << 8) | static_cast<unsigned char>(bytes[offset + i]);
  }
  return v;
}

}  // namespace

bool HasQcow2Magic(std::string_view head) { return head.substr(0, 4) == kQcow2Magic; }

Qcow2Header ParseQcow2Header(std::string_view head) {
  if (!HasQcow2Magic(head)) throw CloudError("not a qcow2 image (no 'QFI\\xfb' magic)");
  if (head.size() < kQcow2HeaderBytes) {
    throw CloudError("qcow2 header is truncated (" + std::to_string(head.size()) + " bytes)");
  }
  Qcow2Header header;
  header.version = static_cast<uint32_t>(BigEndian(head, kVersionOffset, 4));
  if (header.version != 2 && header.version != 3) {
    throw CloudError("qcow2 version " + std::to_string(header.version) +
                     " is not supported (expected 2 or 3)");
  }
  if (BigEndian(head, kBackingFileOffsetOffset, 8) != 0) {
    throw CloudError("the qcow2 image names a backing file; a stemcell image must be standalone");
  }
  if (header.version == 3 &&
      (BigEndian(head, kIncompatibleFeaturesOffset, 8) & kExternalDataFileBit) != 0) {
    throw CloudError(
        "the qcow2 image uses an external data file; a stemcell image must be "
        "standalone");
  }
  header.virtual_size = BigEndian(head, kSizeOffset, 8);
  if (header.virtual_size == 0) throw CloudError("the qcow2 image has a virtual size of 0");
  return header;
}

}  // namespace cpi::media
