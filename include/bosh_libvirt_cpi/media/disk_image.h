#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

// What the archive module learns about a stemcell's root.img: its format and sizes. Plain types,
// so that the module's ABI (archive_module.h) needs nothing from the layers above it.
namespace cpi::media {

// The disk image formats a stemcell's root.img may have (docs/CONTRACT.md §4.2).
enum class ImageFormat { kQcow2, kRaw };

// The fields of a qcow2 header that import needs.
struct Qcow2Header {
  uint32_t version = 0;       // 2 (compat=0.10) or 3 (compat=1.1)
  uint64_t virtual_size = 0;  // bytes the guest sees
};

// Bytes of a file's start that HasQcow2Magic/ParseQcow2Header need at most.
inline constexpr size_t kQcow2HeaderBytes = 104;

// Whether `head` starts with the qcow2 magic "QFI\xfb".
bool HasQcow2Magic(std::string_view head);

// Parses the qcow2 header at the start of `head`. Throws cpi::Error (CloudError) when `head` is
// too short, the version is unknown, the virtual size is 0, or the image points at other files
// (a backing file or an external data file): a stemcell must be self-contained, and a backing
// file name in an uploaded image would let a guest read an arbitrary file of the hypervisor.
Qcow2Header ParseQcow2Header(std::string_view head);

// What root.img is, learnt from the archive entry and its first bytes.
struct ImageInfo {
  ImageFormat format = ImageFormat::kRaw;
  uint64_t file_size = 0;     // bytes of root.img (what is uploaded)
  uint64_t virtual_size = 0;  // bytes the guest sees (qcow2 header, or file_size for raw)
};

}  // namespace cpi::media
